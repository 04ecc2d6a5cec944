#!/usr/bin/env bash
# Installs what building, running and testing Till needs on Debian 12: system libraries for the
# webview (GTK/WebKitGTK 4.1), libudev for serial and HID device discovery, the WebDriver for the
# real window (WebKitWebDriver), Xvfb for headless end-to-end tests, Node.js for the UI, and
# tauri-driver; with --with-test-tools also PostgreSQL (till-server's PostgreSQL tests) and
# Chromium with its driver (the HQ console's browser tests). Safe to re-run: it only installs what is missing. Without root it prints the
# exact command to run instead.
set -euo pipefail

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev
  libudev-dev
  webkit2gtk-driver xvfb xauth
  fonts-dejavu-core fonts-droid-fallback
)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ "${1:-}" = "--with-test-tools" ]; then
  # till-server's PostgreSQL tests run in a throw-away cluster (pg_virtualenv, from
  # postgresql-common; scripts/with-postgres.sh); the HQ console's browser tests drive Chromium.
  packages+=(postgresql postgresql-common chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Till needs these Debian packages. Please run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is not installed. Install it from https://rustup.rs (curl https://sh.rustup.rs -sSf | sh), then re-run." >&2
  exit 1
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ "${1:-}" = "--with-test-tools" ] && [ ! -x "$cargo_bin/tauri-driver" ] && ! command -v tauri-driver >/dev/null 2>&1; then
  echo "Installing tauri-driver (WebDriver bridge for the end-to-end tests)"
  cargo install tauri-driver --locked --version 2.1.0
fi
