#!/usr/bin/env bash
# `make package`: builds the two Debian packages into dist/:
#   dist/till_<version>_<arch>.deb         the app (Tauri bundler), tillctl, udev rules, kiosk helper
#   dist/till-server_<version>_<arch>.deb  the server (dpkg-deb, scripts/package-server.sh)
# The version is the workspace's ([workspace.package] version in Cargo.toml); tauri.conf.json
# carries none, so the bundler takes the app's, which is the workspace's.
#
#   --debug   package debug builds (reuses `make test`'s build; CI does this, see docs/install.md)
#
# Environment: TAURI (the Tauri CLI; default ui/node_modules/.bin/tauri, the pinned
# @tauri-apps/cli from ui/package.json), CARGO, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=release
for arg in "$@"; do
  case "$arg" in
    --debug) PROFILE=debug ;;
    *) echo "package: unknown argument $arg (only --debug)" >&2; exit 2 ;;
  esac
done

CARGO=${CARGO:-cargo}
TAURI=${TAURI:-ui/node_modules/.bin/tauri}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=dist
STAGE=$OUT/stage

for tool in dpkg-deb dpkg-architecture gzip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (apt-get install dpkg-dev)" >&2; exit 1; }
done
if [ ! -x "$TAURI" ]; then
  echo "package: no Tauri CLI at $TAURI; run 'cd ui && npm ci' (it installs @tauri-apps/cli), or set TAURI" >&2
  exit 1
fi

VERSION=$(scripts/workspace-version.sh)
if grep -q '^  "version"' tauri.conf.json; then
  echo "package: tauri.conf.json sets a version; remove it so the app's version is the workspace's ($VERSION)" >&2
  exit 1
fi
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
echo "package: version $VERSION ($PROFILE build, $ARCH)"

cargo_profile=()
[ "$PROFILE" = release ] && cargo_profile=(--release)
"$CARGO" build "${cargo_profile[@]}" -p tillctl -p till-server
BIN="$TARGET_DIR/$PROFILE"

rm -rf "$STAGE"
mkdir -p "$STAGE"

# Man pages and completions, from the binaries themselves (`<bin> generate --out DIR`).
# generate_docs BIN NAME ROOT: installs them under ROOT/usr/share/...
generate_docs() {
  local bin=$1 name=$2 root=$3 gen="$STAGE/gen/$2"
  mkdir -p "$gen" "$root/usr/share/man/man1"
  if ! "$bin" generate --out "$gen" >/dev/null 2>"$gen.err"; then
    echo "package: '$name generate --out DIR' failed: $(head -c 500 "$gen.err")" >&2
    exit 1
  fi
  for page in "$gen"/man/*.1; do
    [ -e "$page" ] || continue
    gzip -9n -c "$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
  done
  local c="$gen/completions"
  [ -f "$c/$name.bash" ] && install -D -m 0644 "$c/$name.bash" "$root/usr/share/bash-completion/completions/$name"
  [ -f "$c/_$name" ] && install -D -m 0644 "$c/_$name" "$root/usr/share/zsh/vendor-completions/_$name"
  [ -f "$c/$name.fish" ] && install -D -m 0644 "$c/$name.fish" "$root/usr/share/fish/vendor_completions.d/$name.fish"
  return 0
}

# The till package's extra files: tauri.conf.json (bundle.linux.deb.files) maps dist/stage/till/usr
# onto /usr, beside the app, its desktop entry and icons that the bundler adds.
TILL_ROOT="$STAGE/till"
install -D -m 0755 "$BIN/tillctl" "$TILL_ROOT/usr/bin/tillctl"
install -D -m 0755 packaging/till/till-kiosk "$TILL_ROOT/usr/bin/till-kiosk"
install -D -m 0644 packaging/till/till-kiosk.desktop "$TILL_ROOT/usr/share/till/till-kiosk.desktop"
install -D -m 0644 packaging/till/60-till-devices.rules "$TILL_ROOT/usr/lib/udev/rules.d/60-till-devices.rules"
mkdir -p "$TILL_ROOT/usr/share/man/man1"
gzip -9n -c packaging/till/till.1 >"$TILL_ROOT/usr/share/man/man1/till.1.gz"
generate_docs "$BIN/tillctl" tillctl "$TILL_ROOT"

tauri_profile=()
[ "$PROFILE" = debug ] && tauri_profile=(--debug)
"$TAURI" build "${tauri_profile[@]}" --bundles deb --ci
mkdir -p "$OUT"
rm -f "$OUT"/till_*.deb
# The bundler names the file after the product ("Till_..."); the package inside is `till`.
built=$(ls -t "$TARGET_DIR/$PROFILE/bundle/deb/"*"_${VERSION}_${ARCH}.deb" | head -n 1)
[ "$(dpkg-deb -f "$built" Package)" = till ] || { echo "package: $built is not the till package" >&2; exit 1; }
cp "$built" "$OUT/till_${VERSION}_${ARCH}.deb"

SERVER_ROOT="$STAGE/till-server"
mkdir -p "$SERVER_ROOT"
generate_docs "$BIN/till-server" till-server "$SERVER_ROOT"
scripts/package-server.sh --bin "$BIN/till-server" --root "$SERVER_ROOT" --version "$VERSION" --out "$OUT"

echo "package: built"
ls -l "$OUT"/*.deb
