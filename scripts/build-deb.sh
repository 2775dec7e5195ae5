#!/usr/bin/env bash
# Packages a staged `make install PREFIX=/usr DESTDIR=STAGE/debian/threadleak`
# as OUTPUT.deb, with the binary's debug info stripped as dh_strip does (14 MB
# of DWARF about threadleak itself, which it never reads). Depends comes from
# dpkg-shlibdeps: the package of each shared
# library the binary needs (its DT_NEEDED entries), with the minimum version
# its symbols require; statically linked libiberty adds nothing, and no -dev
# package can appear.
# Usage: scripts/build-deb.sh VERSION STAGE OUTPUT.deb
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: build-deb.sh VERSION STAGE OUTPUT.deb" >&2; exit 2; }
version=$1 stage=$2 out=$3
root=$stage/debian/threadleak
binary=usr/bin/threadleak
[ -x "$root/$binary" ] || { echo "error: $root/$binary is missing: stage it with make install PREFIX=/usr DESTDIR=$root" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null ||
  { echo "error: dpkg-shlibdeps is missing: run scripts/install-deps.sh (or apt-get install dpkg-dev)" >&2; exit 1; }

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/$binary"

# dpkg-shlibdeps takes the package list from debian/control and expects the
# binary under a package root (a directory holding DEBIAN/).
install -d -m 0755 "$root/DEBIAN"
printf 'Source: threadleak\n\nPackage: threadleak\nArchitecture: amd64\n' > "$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O "debian/threadleak/$binary" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "error: dpkg-shlibdeps found no library that $root/$binary needs" >&2; exit 1; }

cat > "$root/DEBIAN/control" <<CONTROL
Package: threadleak
Version: $version
Architecture: amd64
Maintainer: ${DEB_MAINTAINER:-threadleak maintainers <maintainers@threadleak.invalid>}
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: devel
Priority: optional
Description: find leaked threads in unmodified Linux processes with eBPF
 threadleak run starts a command, follows every process it forks or execs,
 and when a traced process exits reports each thread that was still alive,
 never joined or stopped, with the stack that created it and the stack where
 it was blocked. Needs root (or CAP_BPF and CAP_PERFMON) and Linux 6.7 or
 later with BTF.
CONTROL
chmod 0644 "$root/DEBIAN/control"
dpkg-deb --build --root-owner-group "$root" "$out" >/dev/null
