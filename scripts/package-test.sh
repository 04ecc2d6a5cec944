#!/usr/bin/env bash
# The install test (`make package-test`, and CI after `make test`): builds both Debian packages,
# installs them with dpkg -i as an installer would, and checks that
#   - the files are where docs/install.md says (binaries, unit, conffiles, udev rules, man pages);
#   - /usr/bin/till, started with a fresh HOME under Xvfb, opens its window on the first-run
#     setup screen (through tauri-driver and WebKitWebDriver, as tests/e2e.rs does), and a second
#     start exits while the first keeps running (one instance);
#   - till-server runs with its unit's ExecStart line (no systemd in CI) as the till-server user
#     and answers GET /v1/ping;
#   - after dpkg -r of both, none of their processes runs and the data is still in place.
# Needs root (dpkg). Refuses to run where till or till-server is already installed.
#
#   scripts/package-test.sh [--debug]   (--debug: package debug builds, as CI does)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "package-test: needs root (dpkg -i / dpkg -r); run it with sudo" >&2
  exit 1
fi
for p in till till-server; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    echo "package-test: $p is installed on this machine; the test installs and removes its own, so remove it first" >&2
    exit 1
  fi
done

started=$(date +%s)
scripts/package.sh "$@"
packaged=$(date +%s)
VERSION=$(scripts/workspace-version.sh)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
TILL_DEB=dist/till_${VERSION}_${ARCH}.deb
SERVER_DEB=dist/till-server_${VERSION}_${ARCH}.deb

WORK=$(mktemp -d /tmp/till-package-test.XXXXXX)
chmod 755 "$WORK"
PIDS=()
server_user_existed=no
getent passwd till-server >/dev/null && server_user_existed=yes

fail() {
  echo "package-test: FAILED: $*" >&2
  for log in "$WORK"/*.log; do
    [ -s "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 30 "$log" >&2; }
  done
  exit 1
}

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  # Leave the machine as it was: purge the packages and what the install made.
  dpkg -P till till-server >/dev/null 2>&1 || true
  rm -rf /var/lib/till-server
  if [ "$server_user_existed" = no ] && getent passwd till-server >/dev/null; then
    deluser --quiet --system till-server >/dev/null 2>&1 || userdel till-server 2>/dev/null || true
    getent group till-server >/dev/null && { delgroup --quiet --system till-server 2>/dev/null || groupdel till-server 2>/dev/null || true; }
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "package-test: $*"; }

# --- install ---------------------------------------------------------------------------------
step "dpkg -i $TILL_DEB $SERVER_DEB"
if ! dpkg -i "$TILL_DEB" "$SERVER_DEB" >"$WORK/dpkg.log" 2>&1; then
  step "installing missing dependencies (apt-get install -f)"
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >>"$WORK/dpkg.log" 2>&1 || fail "dpkg -i / apt-get install -f"
fi
for p in till till-server; do
  dpkg-query -W -f='${Status}' "$p" | grep -q "ok installed" || fail "$p is not installed"
  [ "$(dpkg-query -W -f='${Version}' "$p")" = "$VERSION" ] || fail "$p's version is not the workspace's ($VERSION)"
done

for f in /usr/bin/till /usr/bin/tillctl /usr/bin/till-kiosk /usr/bin/till-server \
  /usr/share/applications/Till.desktop /usr/lib/udev/rules.d/60-till-devices.rules \
  /usr/share/man/man1/till.1.gz /usr/lib/systemd/system/till-server.service \
  /etc/till-server/config.json /etc/till-server/environment; do
  [ -e "$f" ] || fail "$f is not installed"
done
ls /usr/share/icons/hicolor/*/apps/till.png >/dev/null 2>&1 || fail "no icon installed"
dpkg-query --control-show till-server conffiles | grep -qx /etc/till-server/config.json || fail "config.json is not a conffile"
for name in tillctl till-server; do
  [ -e "/usr/share/man/man1/$name.1.gz" ] || fail "no man page for $name"
  [ -e "/usr/share/bash-completion/completions/$name" ] || fail "no bash completion for $name"
  [ -e "/usr/share/zsh/vendor-completions/_$name" ] || fail "no zsh completion for $name"
  [ -e "/usr/share/fish/vendor_completions.d/$name.fish" ] || fail "no fish completion for $name"
done
tillctl --version | grep -q "$VERSION" || fail "tillctl --version does not say $VERSION"
till-server --version | grep -q "$VERSION" || fail "till-server --version does not say $VERSION"
getent passwd till-server >/dev/null || fail "no till-server user"
[ "$(stat -c '%U %a' /var/lib/till-server)" = "till-server 700" ] || fail "/var/lib/till-server is not till-server's, 0700"
for g in dialout plugdev lp; do getent group "$g" >/dev/null || fail "no $g group"; done

# Kiosk: the autostart entry comes and goes.
KIOSK_HOME="$WORK/kiosk-home"
mkdir -p "$KIOSK_HOME"
HOME="$KIOSK_HOME" till-kiosk enable >/dev/null || fail "till-kiosk enable"
grep -qx 'Exec=till --kiosk' "$KIOSK_HOME/.config/autostart/till-kiosk.desktop" || fail "no kiosk autostart entry"
HOME="$KIOSK_HOME" till-kiosk status | grep -q '^enabled' || fail "till-kiosk status does not say enabled"
HOME="$KIOSK_HOME" till-kiosk disable >/dev/null || fail "till-kiosk disable"
[ ! -e "$KIOSK_HOME/.config/autostart/till-kiosk.desktop" ] || fail "till-kiosk disable left the entry"

# --- the app: a fresh HOME, its window on the setup screen -----------------------------------
if [ -z "${DISPLAY:-}" ]; then
  # -displayfd: Xvfb picks a free display number and writes it once it accepts clients.
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$WORK/display" >"$WORK/xvfb.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
  [ -s "$WORK/display" ] || fail "Xvfb did not start"
  DISPLAY=":$(head -n 1 "$WORK/display")"
  export DISPLAY
fi
DRIVER=${TAURI_DRIVER:-}
if [ -z "$DRIVER" ]; then
  DRIVER=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
fi
[ -x "$DRIVER" ] || fail "no tauri-driver ($DRIVER); make test-deps installs it"

APP_HOME="$WORK/home"
mkdir -p "$APP_HOME"
PORT=4446
setsid env -u TILL_DATA_DIR -u XDG_DATA_HOME -u TILL_DEMO HOME="$APP_HOME" WEBKIT_DISABLE_COMPOSITING_MODE=1 \
  "$DRIVER" --port "$PORT" --native-port 4447 >"$WORK/driver.log" 2>&1 &
PIDS+=($!)
WD="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$WD/status" >/dev/null && break; sleep 0.2; done
curl -fs "$WD/status" >/dev/null || fail "tauri-driver did not come up"

app_started=$(date +%s)
session=$(curl -fsS -X POST "$WD/session" -H 'Content-Type: application/json' \
  -d '{"capabilities":{"alwaysMatch":{"tauri:options":{"application":"/usr/bin/till"}}}}') || fail "no WebDriver session"
SID=$(echo "$session" | sed -n 's/.*"sessionId" *: *"\([^"]*\)".*/\1/p')
[ -n "$SID" ] || fail "no session id in: $session"

count() {
  curl -fsS -X POST "$WD/session/$SID/elements" -H 'Content-Type: application/json' \
    -d "{\"using\":\"css selector\",\"value\":\"$1\"}" 2>/dev/null | grep -o 'element-6066' | wc -l
}
page_text() {
  local body
  body=$(curl -fsS -X POST "$WD/session/$SID/element" -H 'Content-Type: application/json' \
    -d '{"using":"css selector","value":"body"}' | sed -n 's/.*"element-6066-11e4-a52e-4f735466cecf" *: *"\([^"]*\)".*/\1/p')
  curl -fsS "$WD/session/$SID/element/$body/text" || true
}

# A fresh HOME is a shop's till that was never set up: the first-run setup (<main id="setup">).
screen=""
for _ in $(seq 1 150); do
  if [ "$(count '#setup')" -gt 0 ]; then screen=setup; break; fi
  sleep 0.2
done
[ -n "$screen" ] || fail "the window did not show the setup screen within 30 s; it reads: $(page_text)"
step "the installed app opened on the $screen screen in $(( $(date +%s) - app_started )) s"
[ -s "$APP_HOME/.local/share/till/till.db" ] || fail "no database in the fresh HOME's data directory"

# One instance: a second start with the same HOME shows the first window and exits.
first=$(pgrep -f '^/usr/bin/till( |$)' | head -n 1 || true)
[ -n "$first" ] || fail "no /usr/bin/till process"
set +e
HOME="$APP_HOME" timeout 20 /usr/bin/till >"$WORK/second.log" 2>&1
second_status=$?
set -e
[ "$second_status" -eq 0 ] || fail "a second start did not exit by itself (status $second_status)"
kill -0 "$first" 2>/dev/null || fail "the first till stopped when a second was started"
grep -q "already runs" "$APP_HOME/.local/share/till/till.log" || fail "the second start did not say a till already runs"
[ "$(count '#setup')" -gt 0 ] || fail "the first window lost its screen"
step "a second start exited and the first till kept running"

# --- till-server: its unit's ExecStart, as the till-server user --------------------------------
UNIT=/usr/lib/systemd/system/till-server.service
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ -n "$exec_start" ] || fail "no ExecStart in $UNIT"
[ "$(sed -n 's/^User=//p' "$UNIT")" = till-server ] || fail "the unit does not run as till-server"
(
  set -a
  # shellcheck disable=SC1091
  . /etc/till-server/environment
  set +a
  umask 0077
  cd /
  eval "exec setsid runuser -u till-server -- $exec_start"
) >"$WORK/server.log" 2>&1 &
PIDS+=($!)
listen=$(sed -n 's/^TILL_SERVER_LISTEN=//p' /etc/till-server/environment)
ok=no
for _ in $(seq 1 100); do
  if curl -fsS "http://$listen/v1/ping" >"$WORK/ping.json" 2>/dev/null; then ok=yes; break; fi
  sleep 0.2
done
[ "$ok" = yes ] || fail "till-server did not answer GET /v1/ping on $listen"
[ "$(ps -o user= -p "$(pgrep -x till-server | head -n 1)")" = till-server ] || fail "till-server does not run as till-server"
[ "$(stat -c '%U %a' /var/lib/till-server/till-server.db)" = "till-server 600" ] || fail "the server's database is not till-server's, 0600"
step "till-server answered GET /v1/ping on $listen as the till-server user: $(cat "$WORK/ping.json")"

# --- remove ----------------------------------------------------------------------------------
curl -fsS -X DELETE "$WD/session/$SID" >/dev/null || true
for pid in "${PIDS[@]}"; do
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
done
sleep 1
dpkg -r till till-server >>"$WORK/dpkg.log" 2>&1 || fail "dpkg -r"
for _ in $(seq 1 50); do
  pgrep -f '^/usr/bin/till(-server)?( |$)' >/dev/null || break
  sleep 0.2
done
if pgrep -a -f '^/usr/bin/till(-server)?( |$)'; then fail "till processes still run after dpkg -r"; fi
for f in /usr/bin/till /usr/bin/tillctl /usr/bin/till-server "$UNIT" /usr/lib/udev/rules.d/60-till-devices.rules; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg -r"
done
[ -s "$APP_HOME/.local/share/till/till.db" ] || fail "dpkg -r took the till's data"
[ -s /var/lib/till-server/till-server.db ] || fail "dpkg -r took the server's data"
[ -e /etc/till-server/config.json ] || fail "dpkg -r took the conffiles (only purge does)"
step "removed: nothing of them runs, the data and the conffiles stay"

step "PASSED (packaging $(( packaged - started )) s, install test $(( $(date +%s) - packaged )) s)"
