#!/usr/bin/env bash
# What the tests need from the system, checked before anything is built or started. ci/test.sh runs it first.
#
#   bash ci/prereqs.sh          check; install what is missing from Debian's packages when root, saying why
#   bash ci/prereqs.sh check    only check: list what is missing and exit 1 (installs nothing)
#
# The demo (`cargo run -- demo`) needs none of this: only the Rust toolchain. Everything here serves the tests:
# librdkafka (the independent client that writes the Kafka tests' data) is compiled from source; the Kafka test
# cluster runs on Java from jars that Maven fetches; the AWS emulator runs in a Python venv; the report's browser
# check drives Chromium through Node. The Rust toolchain itself is not installed here (rustup is the way).
# Not root: nothing is installed; the missing packages are named with the command that installs them (exit 2).
# KAFKA_FINOPS_NO_INSTALL=1 turns installing off for root too.
set -euo pipefail

# One line per need: a check (a command name, or `py:MODULE` for a Python module), the Debian package that brings
# it, and why the tests need it.
NEEDS=(
  "cc|gcc|compiles librdkafka (rdkafka-sys), the client that writes the Kafka tests' data"
  "make|make|runs librdkafka's own build (mklove)"
  "java|openjdk-17-jdk-headless|runs the three-broker Apache Kafka test cluster"
  "keytool|openjdk-17-jdk-headless|makes the test cluster's TLS keystores"
  "mvn|maven|fetches the pinned Apache Kafka jars from Maven Central, once"
  "openssl|openssl|makes the test cluster's CA and certificates"
  "curl|curl|asks the AWS emulator (moto) whether it is ready"
  "python3|python3|runs the AWS emulator (moto, from PyPI)"
  "py:ensurepip|python3-venv|makes the AWS emulator's venv"
  "node|nodejs|runs the report's browser check (puppeteer-core, from npm)"
  "npm|npm|installs the pinned puppeteer-core"
  "${CHROMIUM:-chromium}|chromium|loads the report headless: no console errors, no network requests, sorting works"
)

log() { echo "prereqs.sh: $*" >&2; }

present() {
  case $1 in
    py:*) command -v python3 >/dev/null && python3 -c "import ${1#py:}" 2>/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

missing_pkgs=()
missing_lines=()
for need in "${NEEDS[@]}"; do
  IFS='|' read -r check pkg why <<<"$need"
  present "$check" && continue
  missing_lines+=("  $pkg ($check): $why")
  [[ " ${missing_pkgs[*]} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
done

if ((${#missing_pkgs[@]} == 0)); then
  log "every system package the tests need is present"
  exit 0
fi

printf '%s\n' "prereqs.sh: missing:" "${missing_lines[@]}" >&2
if [ "${1:-}" = check ]; then exit 1; fi
if [ "$(id -u)" != 0 ] || [ "${KAFKA_FINOPS_NO_INSTALL:-0}" = 1 ]; then
  log "not installing (not root, or KAFKA_FINOPS_NO_INSTALL=1); as root run:"
  log "  apt-get update && apt-get install -y ${missing_pkgs[*]}"
  exit 2
fi
command -v apt-get >/dev/null || { log "error: no apt-get: install ${missing_pkgs[*]} by hand"; exit 2; }
log "installing from Debian's packages: ${missing_pkgs[*]} (about a minute; chromium is the largest)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
for need in "${NEEDS[@]}"; do
  IFS='|' read -r check pkg _ <<<"$need"
  present "$check" || { log "error: $pkg is installed but $check is still missing"; exit 2; }
done
log "installed: ${missing_pkgs[*]}"
