// The flame graph's script and style sheet (formats/flame_svg.h draws what
// they act on). Fixed texts, never built from report data: the script reads
// frames from the DOM and writes only textContent and attributes, so no
// target string reaches script context, and the html format can allow them
// by their hashes in its Content-Security-Policy. Neither contains "]]>" (they
// sit in CDATA sections in a standalone .svg) nor "</" (nor "<!--"), so they
// cannot end their element early in HTML either.
#pragma once

#include <string>

namespace threadleak {

/// Click a frame to zoom to it (its ancestors stay, faded, below it); the
/// root, "Reset zoom" or Esc zooms out; the search box marks frames whose
/// text holds what is typed (case-insensitive) and says what share of the
/// weight they hold; hovering a frame shows its full text in the details line.
const std::string& flame_script();

/// Colours, fonts and the hidden/faded/matched states the script toggles.
const std::string& flame_style();

}  // namespace threadleak
