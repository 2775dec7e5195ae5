#!/usr/bin/env python3
"""Opens threadleak's html and svg reports in headless Chromium and checks
them as a user would: no console error, no network request attempted, the
flame graph's root frame visible, a click on a frame zooms to it, the search
box marks matches, and no script but the report's own ran. Used by
tests/integration/flame_browser_test.cpp; standard library only.

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies on fd 4, each a JSON
message ended by a NUL byte). Its resolver maps every host to nothing and its
proxy is a closed port, so a request can only be recorded, never answered.

usage: browser_check.py [--screenshot-dir DIR] [--expect-text TEXT]...
                        [--search TEXT] FILE...
Prints one JSON object per FILE on stdout: {"file", "problems", "facts"}.
Exits 0 if no FILE has a problem, 1 if one has, 2 if Chromium could not run.
"""
import argparse
import base64
import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 15.0  # seconds for any one protocol step


class Browser:
    def __init__(self, binary, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # fds 3 and 4 as --remote-debugging-pipe wants them
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
             '--user-data-dir=' + profile, '--no-first-run', '--no-default-browser-check',
             '--disable-extensions', '--disable-background-networking', '--disable-component-update',
             '--disable-sync', '--disable-default-apps', '--mute-audio', '--hide-scrollbars',
             '--host-resolver-rules=MAP * ~NOTFOUND', '--proxy-server=http://127.0.0.1:9',
             '--window-size=1280,900', 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.buffer = b''
        self.events = []

    def _read_message(self, deadline):
        while b'\0' not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no answer from Chromium')
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise EOFError('Chromium closed its DevTools pipe')
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            message['sessionId'] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b'\0')
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError(method + ': ' + json.dumps(reply['error']))
                return reply.get('result', {})
            self.events.append(reply)

    def wait_for(self, method, session, seconds=TIMEOUT):
        deadline = time.monotonic() + seconds
        while True:
            for i, event in enumerate(self.events):
                if event.get('method') == method and event.get('sessionId') == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def close(self):
        try:
            self.send('Browser.close')
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def evaluate(browser, session, expression):
    result = browser.send('Runtime.evaluate', {'expression': expression, 'returnByValue': True}, session)
    if 'exceptionDetails' in result:
        raise RuntimeError('page script failed: ' + json.dumps(result['exceptionDetails'])[:400])
    return result['result'].get('value')


# Where the root frame and a frame to click are on screen (CSS px of the viewport).
LOCATE = r'''(() => {
  const svg = document.querySelector('svg.tlf');
  if (!svg) return null;
  svg.scrollIntoView({block: 'start'});
  const box = (g) => { const r = g.querySelector('rect').getBoundingClientRect();
                       return {x: r.x, y: r.y, width: r.width, height: r.height}; };
  const root = svg.querySelector('g.f.r');
  const rootBox = box(root);
  const hit = document.elementFromPoint(rootBox.x + rootBox.width / 2, rootBox.y + rootBox.height / 2);
  const frames = Array.from(svg.querySelectorAll('g.f:not(.r):not(.h)'));
  // The deepest visible frame narrower than the root: zooming must widen it.
  let target = null;
  for (const g of frames) {
    const b = box(g);
    if (b.width > 4 && b.width < rootBox.width - 1 &&
        (!target || Number(g.getAttribute('data-d')) > Number(target.getAttribute('data-d')))) target = g;
  }
  return {
    root: rootBox, rootText: root.querySelector('text').textContent,
    rootHit: !!hit && root.contains(hit) || hit === root,
    rootDisplay: getComputedStyle(root).display,
    viewport: {width: innerWidth, height: innerHeight},
    target: target ? Object.assign(box(target), {
      index: Array.from(svg.querySelectorAll('g.f')).indexOf(target),
      name: target.querySelector('title').textContent.split('\n')[0],
      attrWidth: Number(target.querySelector('rect').getAttribute('width'))}) : null,
    fullWidth: Number(root.querySelector('rect').getAttribute('width')),
    frames: svg.querySelectorAll('g.f').length,
  };
})()'''

ZOOMED = r'''((index) => {
  const svg = document.querySelector('svg.tlf');
  const all = Array.from(svg.querySelectorAll('g.f'));
  const target = all[index];
  return {
    zoomed: svg.getAttribute('data-zoomed'),
    width: Number(target.querySelector('rect').getAttribute('width')),
    hidden: all.filter((g) => g.classList.contains('h')).length,
    resetShown: !!svg.querySelector('.tlf-reset') && !svg.querySelector('.tlf-reset').classList.contains('h'),
  };
})'''

# What ran and what is in the document: the report's own script only.
INERT = r'''(() => ({
  scripts: document.querySelectorAll('script').length,
  handlers: Array.from(document.querySelectorAll('*')).reduce((n, e) =>
      n + Array.from(e.attributes).filter((a) => a.name.toLowerCase().startsWith('on')).length, 0),
  iframes: document.querySelectorAll('iframe, object, embed, img, image, use').length,
  text: document.documentElement.textContent,
}))()'''


def check_file(browser, path, args):
    problems, facts = [], {}
    url = pathlib.Path(path).resolve().as_uri()
    target = browser.send('Target.createTarget', {'url': 'about:blank'})['targetId']
    session = browser.send('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
    for domain in ('Runtime', 'Log', 'Network', 'Page'):
        browser.send(domain + '.enable', {}, session)
    browser.send('Page.navigate', {'url': url}, session)
    browser.wait_for('Page.loadEventFired', session)
    browser.drain(0.3)

    located = evaluate(browser, session, LOCATE)
    if not located:
        problems.append('no <svg class="tlf"> flame graph in the document')
    else:
        facts['frames'] = located['frames']
        facts['root_text'] = located['rootText']
        root, view = located['root'], located['viewport']
        visible = (root['width'] > 0 and root['height'] > 0 and root['x'] >= 0 and root['y'] >= 0 and
                   root['x'] + root['width'] <= view['width'] + 1 and root['y'] + root['height'] <= view['height'])
        if not (visible and located['rootHit'] and located['rootDisplay'] != 'none'):
            problems.append('the root frame is not visible: ' + json.dumps(located))
        t = located['target']
        if not t:
            problems.append('no frame narrower than the root to click')
        else:
            facts['clicked'] = t['name']
            x, y = t['x'] + t['width'] / 2, t['y'] + t['height'] / 2
            for kind in ('mouseMoved', 'mousePressed', 'mouseReleased'):
                browser.send('Input.dispatchMouseEvent',
                             {'type': kind, 'x': x, 'y': y, 'button': 'left', 'clickCount': 1}, session)
            zoomed = evaluate(browser, session, ZOOMED + '(' + str(t['index']) + ')')
            facts['zoom'] = zoomed
            if not (abs(zoomed['width'] - located['fullWidth']) < 0.5 and zoomed['zoomed'] == t['name'] and
                    zoomed['resetShown']):
                problems.append('clicking "%s" (width %.2f) did not zoom to it: %s' %
                                (t['name'], t['attrWidth'], json.dumps(zoomed)))
            if args.screenshot_dir:
                shot = browser.send('Page.captureScreenshot', {'format': 'png'}, session)
                out = pathlib.Path(args.screenshot_dir) / (pathlib.Path(path).name + '.zoomed.png')
                out.write_bytes(base64.b64decode(shot['data']))
                facts['screenshot_zoomed'] = str(out)
            browser.send('Input.dispatchKeyEvent', {'type': 'keyDown', 'key': 'Escape', 'code': 'Escape',
                                                    'windowsVirtualKeyCode': 27}, session)
            browser.send('Input.dispatchKeyEvent', {'type': 'keyUp', 'key': 'Escape', 'code': 'Escape',
                                                    'windowsVirtualKeyCode': 27}, session)
            after = evaluate(browser, session, ZOOMED + '(' + str(t['index']) + ')')
            if after['zoomed'] != '' or abs(after['width'] - t['attrWidth']) > 0.5:
                problems.append('Esc did not zoom out: ' + json.dumps(after))
        if args.search:
            evaluate(browser, session, "document.querySelector('.tlf-search').focus()")
            browser.send('Input.insertText', {'text': args.search}, session)
            found = evaluate(browser, session, r'''({
              matched: document.querySelector('.tlf-matched').textContent,
              marked: document.querySelectorAll('svg.tlf g.f.m').length})''')
            facts['search'] = found
            if found['marked'] == 0 or not found['matched'].startswith('Matched: '):
                problems.append('searching "%s" marked nothing: %s' % (args.search, json.dumps(found)))
        if args.screenshot_dir:
            evaluate(browser, session, "document.querySelector('svg.tlf').scrollIntoView({block: 'start'})")
            shot = browser.send('Page.captureScreenshot', {'format': 'png'}, session)
            out = pathlib.Path(args.screenshot_dir) / (pathlib.Path(path).name + '.png')
            out.write_bytes(base64.b64decode(shot['data']))
            facts['screenshot'] = str(out)

    inert = evaluate(browser, session, INERT)
    facts['scripts'] = inert['scripts']
    if inert['scripts'] != 1:
        problems.append('%d <script> elements in the document, not the report\'s one' % inert['scripts'])
    if inert['handlers']:
        problems.append('%d event-handler attributes in the document' % inert['handlers'])
    if inert['iframes']:
        problems.append('%d embedded or image elements in the document' % inert['iframes'])
    for text in args.expect_text:
        if text not in inert['text']:
            problems.append('the document does not show the text %r' % text)

    browser.drain(0.2)
    for event in [e for e in browser.events if e.get('sessionId') == session]:
        method, params = event.get('method'), event.get('params', {})
        if method == 'Runtime.consoleAPICalled' and params.get('type') in ('error', 'assert', 'warning'):
            problems.append('console %s: %s' % (params['type'], json.dumps(params.get('args'))[:300]))
        elif method == 'Runtime.exceptionThrown':
            problems.append('uncaught exception: ' + json.dumps(params.get('exceptionDetails'))[:300])
        elif method == 'Log.entryAdded' and params.get('entry', {}).get('level') in ('error', 'warning'):
            problems.append('console %s: %s' % (params['entry']['level'], params['entry'].get('text', '')[:300]))
        elif method == 'Network.requestWillBeSent' and params.get('request', {}).get('url') != url:
            problems.append('network request attempted: ' + params['request']['url'][:200])
        elif method == 'Page.javascriptDialogOpening':
            problems.append('a dialog opened: ' + params.get('message', '')[:200])
            browser.send('Page.handleJavaScriptDialog', {'accept': False}, session)
    browser.events = [e for e in browser.events if e.get('sessionId') != session]
    browser.send('Target.closeTarget', {'targetId': target})
    return {'file': path, 'problems': problems, 'facts': facts}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--screenshot-dir')
    parser.add_argument('--expect-text', action='append', default=[])
    parser.add_argument('--search')
    parser.add_argument('files', nargs='+')
    args = parser.parse_args()
    binary = shutil.which('chromium') or shutil.which('chromium-browser')
    if not binary:
        print('browser_check: chromium is not installed: run scripts/install-deps.sh', file=sys.stderr)
        return 2
    if args.screenshot_dir:
        os.makedirs(args.screenshot_dir, exist_ok=True)
    profile = tempfile.mkdtemp(prefix='threadleak-chromium-')
    browser = Browser(binary, profile)
    bad = False
    try:
        for path in args.files:
            result = check_file(browser, path, args)
            bad = bad or bool(result['problems'])
            print(json.dumps(result))
    except (TimeoutError, EOFError, RuntimeError) as e:
        print('browser_check: Chromium failed: %s' % e, file=sys.stderr)
        return 2
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
