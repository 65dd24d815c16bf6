#!/usr/bin/env bash
# Benchmark of the report on a big estate: 10,000 topics and 200 owners (ci/bench/big_scenario.py).
#
#   bash ci/bench-report.sh [topics] [owners]
#
# Prints, each the median of 3 runs after a warm-up: (a) `kafka-finops run` wall time and peak RSS (GNU time) with
# the run directory's size and index.html's size; (b) index.html's load time in headless Chromium (ci/browser.sh),
# beside a peer: the same browser loading a plain HTML page holding only topics.csv as one table (what any page
# listing every topic costs). Goal: the report opens in under 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
topics="${1:-10000}" owners="${2:-200}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet --bin kafka-finops
bin=$PWD/target/release/kafka-finops
python3 ci/bench/big_scenario.py "$work/scenario" "$topics" "$owners"
check=$(bash ci/browser.sh install)/check.mjs

median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
"$bin" run --config "$work/scenario/kafka-finops.toml" --out "$work/warm" > /dev/null 2>&1
declare -a t m load peer
for i in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" run --config "$work/scenario/kafka-finops.toml" --out "$work/out-$i" > "$work/stdout" 2> /dev/null
  read -r secs kb < "$work/time"
  t+=("$secs"); m+=("$kb")
  dir=$(tail -n 1 "$work/stdout")
done
html="$dir/index.html"
python3 - "$dir/topics.csv" "$work/peer.html" <<'PY'
import csv, html, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("<!doctype html><meta charset=utf-8><title>topics</title><table>")
    for r in rows:
        f.write("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    f.write("</table>")
PY
for i in 1 2 3; do
  load+=("$(node "$check" "$html" "$work/report.png" | python3 -c 'import json,sys; print(json.load(sys.stdin)["load_ms"])')")
  # The peer page has no checks to pass; only its load time is read.
  peer+=("$( (node "$check" "$work/peer.html" "$work/peer.png" 2>/dev/null || true) | python3 -c 'import json,sys; print(json.load(sys.stdin)["load_ms"])')")
done

echo
echo "estate: $topics topics, $owners owners ($(wc -l < "$dir/topics.csv") topic rows)"
printf '(a) kafka-finops run (release): %s s, peak RSS %d MB; run directory %s, index.html %s\n' \
  "$(median "${t[@]}")" $(( $(median "${m[@]}") / 1024 )) "$(du -sh "$dir" | cut -f1)" "$(du -h "$html" | cut -f1)"
printf '(b) index.html load in headless Chromium: %s ms (runs: %s)\n' "$(median "${load[@]}")" "${load[*]}"
printf '    peer, a plain page with topics.csv as one table (%s): %s ms (runs: %s)\n' \
  "$(du -h "$work/peer.html" | cut -f1)" "$(median "${peer[@]}")" "${peer[*]}"
