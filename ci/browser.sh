#!/usr/bin/env bash
# The headless-browser check of the HTML report: Debian's chromium, driven by puppeteer-core (npm, pinned in
# ci/browser/package-lock.json).
#
#   bash ci/browser.sh install   install the pinned node_modules (cached) and check chromium is there; prints the dir
#   bash ci/browser.sh env       `export` lines for the tests: eval "$(bash ci/browser.sh env)"
#
# Layout: ${KAFKA_FINOPS_CACHE:-~/.cache/kafka-finops}/browser-<sha of package-lock.json>/ holds check.mjs and its
# node_modules. The tests run `node <dir>/check.mjs index.html screenshot.png` (tests/it/browser.rs).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$SCRIPT_DIR/browser
CACHE_ROOT=${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}
DIR=$CACHE_ROOT/browser-$(cat "$SRC/package-lock.json" "$SRC/check.mjs" | sha256sum | cut -c1-12)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { echo "browser.sh: $*" >&2; }

install() {
  command -v node >/dev/null || { log "error: node is not installed"; exit 1; }
  [ -x "$CHROMIUM" ] || { log "error: no chromium at $CHROMIUM (apt-get install chromium)"; exit 1; }
  if [ ! -f "$DIR/.complete" ]; then
    log "installing puppeteer-core into $DIR"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/check.mjs" "$DIR/"
    # --ignore-scripts: puppeteer-core downloads nothing; the browser is Debian's.
    (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$DIR/.complete"
  fi
  echo "$DIR"
}

case "${1:-}" in
  install) install ;;
  env)
    install >/dev/null
    echo "export KAFKA_FINOPS_BROWSER_CHECK=$DIR/check.mjs"
    echo "export CHROMIUM=$CHROMIUM"
    ;;
  *)
    echo "usage: bash ci/browser.sh install|env" >&2
    exit 2
    ;;
esac
