#!/usr/bin/env bash
# Runs every test of kafka-finops: unit tests and the integration tests in tests/it (one binary).
# This is the README's test command; .ci/run calls it after the format and lint gates.
# It starts the services the tests need and stops them by PID on exit:
#   - a real Apache Kafka cluster (3 KRaft brokers with racks, TLS, SASL, ACLs) from ci/kafka.sh;
#   - the AWS emulator (moto in server mode, pinned in ci/requirements.txt) from ci/moto.sh;
#   - the browser check (Debian's chromium + puppeteer-core pinned in ci/browser/package-lock.json), ci/browser.sh.
# With KAFKA_FINOPS_REQUIRE_KAFKA=1 / _AWS=1 / _BROWSER=1 the tests fail, rather than skip, when a service
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Build first, so the cluster is not idling (and the build not competing with it) for minutes.
cargo test --locked --all-targets --no-run

started_kafka=0 started_moto=0
cleanup() {
  if [ "$started_kafka" = 1 ]; then bash ci/kafka.sh stop || true; fi
  if [ "$started_moto" = 1 ]; then bash ci/moto.sh stop || true; fi
}
trap cleanup EXIT
if ! bash ci/kafka.sh status >/dev/null 2>&1; then
  started_kafka=1
  bash ci/kafka.sh start
fi
if ! bash ci/moto.sh status >/dev/null 2>&1; then
  started_moto=1
  bash ci/moto.sh start
fi
eval "$(bash ci/kafka.sh env)"
eval "$(bash ci/moto.sh env)"
eval "$(bash ci/browser.sh env)"
export KAFKA_FINOPS_REQUIRE_KAFKA=1 KAFKA_FINOPS_REQUIRE_AWS=1 KAFKA_FINOPS_REQUIRE_BROWSER=1

cargo test --locked --all-targets "$@"
