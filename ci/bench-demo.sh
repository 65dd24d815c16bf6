#!/usr/bin/env bash
# Benchmark: wall time of `kafka-finops demo` in release, median of N runs, beside two peers measured in the same
# run: the process floor (`kafka-finops --version`, same binary) and reading the same scenario CSVs with Python's csv
# module (the cheapest possible "parse the inputs" a script could do, with no join, model or report).
# Usage: bash ci/bench-demo.sh [runs]   (builds release first; the build is not timed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-15}"
cargo build --release --locked --quiet
bin=target/release/kafka-finops
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median_ms() {  # median wall time in ms of "$@" over $runs runs
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

demo=$(median_ms "$bin" demo --out "$out")
floor=$(median_ms "$bin" --version)
pycsv=$(median_ms python3 -c 'import csv,glob
for f in glob.glob("fixtures/demo/*.csv"):
    sum(1 for _ in csv.reader(open(f)))')
echo "runs per figure: $runs (median wall time, ms)"
printf '%-58s %8s ms\n' "kafka-finops demo (release, whole job, writes a run dir)" "$demo"
printf '%-58s %8s ms\n' "peer: kafka-finops --version (process start floor)" "$floor"
printf '%-58s %8s ms\n' "peer: python3 csv.reader over the same scenario CSVs" "$pycsv"
echo "run directories written: $(find "$out" -mindepth 1 -maxdepth 1 -type d | wc -l)"
