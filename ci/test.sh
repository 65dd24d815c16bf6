#!/usr/bin/env bash
# Runs every test of kafka-finops: unit tests and the integration tests in tests/it (one binary).
# This is the README's test command; .ci/run calls it after the format and lint gates.
# It starts the services the tests need and stops them by PID on exit:
#   - a real Apache Kafka cluster (3 KRaft brokers with racks, TLS, SASL, ACLs) from ci/kafka.sh.
# With KAFKA_FINOPS_REQUIRE_KAFKA=1 the Kafka tests fail, rather than skip, if the cluster is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Build first, so the cluster is not idling (and the build not competing with it) for minutes.
cargo test --locked --all-targets --no-run

started_kafka=0
if ! bash ci/kafka.sh status >/dev/null 2>&1; then
  bash ci/kafka.sh start
  started_kafka=1
fi
cleanup() {
  if [ "$started_kafka" = 1 ]; then bash ci/kafka.sh stop || true; fi
}
trap cleanup EXIT
eval "$(bash ci/kafka.sh env)"
export KAFKA_FINOPS_REQUIRE_KAFKA=1

cargo test --locked --all-targets "$@"
