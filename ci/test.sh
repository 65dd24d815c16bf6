#!/usr/bin/env bash
# Runs every test of kafka-finops: unit tests and the integration tests in tests/it (one binary).
# This is the README's test command; .ci/run calls it after the format and lint gates.
# Services the tests need (a real Kafka cluster, the moto AWS emulator) are started from here as the sources that
# need them land, and stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo test --locked --all-targets "$@"
