#!/usr/bin/env bash
# Builds the till-server Debian package with dpkg-deb from a staging tree (called by
# scripts/package.sh; see docs/install.md, "Installing till-server"):
#   /usr/bin/till-server
#   /usr/lib/systemd/system/till-server.service   runs `till-server serve` as the till-server user
#   /etc/till-server/config.json, environment     conffiles: the server's JSON config, listen/TLS
#   /usr/share/man/man1, completions              from `till-server generate` (already in --root)
# /var/lib/till-server (0700, till-server's) and the user are made by the postinst.
#
#   scripts/package-server.sh --bin FILE --root DIR --version X.Y.Z --out DIR
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="" ROOT="" VERSION="" OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "package-server: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$BIN" ] && [ -n "$ROOT" ] && [ -n "$VERSION" ] && [ -n "$OUT" ] || {
  echo "usage: scripts/package-server.sh --bin FILE --root DIR --version X.Y.Z --out DIR" >&2
  exit 2
}
[ -x "$BIN" ] || { echo "package-server: no binary at $BIN" >&2; exit 1; }

ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
SRC=packaging/till-server

install -D -m 0755 "$BIN" "$ROOT/usr/bin/till-server"
install -D -m 0644 "$SRC/till-server.service" "$ROOT/usr/lib/systemd/system/till-server.service"
install -D -m 0644 "$SRC/config.json" "$ROOT/etc/till-server/config.json"
install -D -m 0644 "$SRC/environment" "$ROOT/etc/till-server/environment"
install -D -m 0644 "$SRC/copyright" "$ROOT/usr/share/doc/till-server/copyright"

mkdir -p "$ROOT/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "$SRC/$script" "$ROOT/DEBIAN/$script"
done
printf '/etc/till-server/config.json\n/etc/till-server/environment\n' >"$ROOT/DEBIAN/conffiles"

# Shared libraries the binary links (glibc only: SQLite is bundled, TLS is rustls).
depends="adduser"
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
  mkdir -p "$ROOT/debian"
  printf 'Source: till-server\n\nPackage: till-server\nArchitecture: any\n' >"$ROOT/debian/control"
  shlibs=$(cd "$ROOT" && dpkg-shlibdeps -O usr/bin/till-server 2>/dev/null | sed -n 's/^shlibs:Depends=//p' || true)
  rm -rf "$ROOT/debian"
  [ -n "$shlibs" ] && depends="$depends, $shlibs"
else
  depends="$depends, libc6"
fi
size=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)

cat >"$ROOT/DEBIAN/control" <<EOF
Package: till-server
Version: $VERSION
Architecture: $ARCH
Maintainer: Till developers
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: Till server: sync, card authorisation and points for Till tills
 The reference server Till tills sync their sales to. Runs as the till-server
 system user under systemd (till-server.service), keeps its data in
 /var/lib/till-server and reads /etc/till-server/config.json.
EOF

mkdir -p "$OUT"
rm -f "$OUT"/till-server_*.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$OUT/till-server_${VERSION}_${ARCH}.deb" >/dev/null
echo "package-server: $OUT/till-server_${VERSION}_${ARCH}.deb"
