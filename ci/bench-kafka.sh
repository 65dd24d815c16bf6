#!/usr/bin/env bash
# Benchmark of the Kafka collector against Kafka's own CLI tools, on a real cluster seeded with many topics.
#
#   bash ci/bench-kafka.sh [topics] [partitions] [groups] [rf]      (defaults: 2000 6 300 3)
#
# Starts a cluster from ci/kafka.sh in its own run dir (it must not be running already), seeds it with
# `examples/seed_kafka.rs` (rdkafka), then times in the same run:
#   (a) kafka-finops collecting everything (collect --record), and
#   (b) the CLI tools collecting the same information, through the same jars:
#       kafka-log-dirs --describe, kafka-consumer-groups --describe --all-groups,
#       kafka-configs --describe --all --entity-type topics.
# Each figure is the median of 3 interleaved rounds after one warm-up round. Prints both times, their ratio and kafka-finops' request count (also before seeding, to show the count grows
# with brokers and groups, not topics). The timed collections read the log-end offsets once (`rate_sample_seconds =
# 0`), as the CLI tools do; one more collection reads them a second time a second later, to show what the rates
# from offsets add: one ListOffsets per broker, and its time beyond the wait. Stops and deletes its cluster at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
topics="${1:-2000}" partitions="${2:-6}" groups="${3:-300}" rf="${4:-3}"
export KAFKA_FINOPS_RUN="${KAFKA_FINOPS_BENCH_RUN:-/tmp/kafka-finops-bench}"
# Brokers and tools run with Kafka's own default JVM settings (bin/kafka-run-class.sh and kafka-server-start.sh),
# not the lean CI ones: a benchmark measures a warmed, normally configured cluster, and the CLI tools as shipped.
kafka_perf_opts="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15"
export KAFKA_FINOPS_BROKER_HEAP="${KAFKA_FINOPS_BROKER_HEAP:--Xms2g -Xmx2g}"
export KAFKA_FINOPS_BROKER_OPTS="${KAFKA_FINOPS_BROKER_OPTS:-$kafka_perf_opts -XX:+ExitOnOutOfMemoryError}"
export KAFKA_FINOPS_TOOL_OPTS="${KAFKA_FINOPS_TOOL_OPTS:--Xmx256M $kafka_perf_opts}"

cargo build --release --locked --quiet --bin kafka-finops --example seed_kafka
bin=target/release/kafka-finops
seed=target/release/examples/seed_kafka

# KAFKA_FINOPS_BENCH_KEEP=1 keeps the seeded cluster for another run (seeding is idempotent); by default the bench
# starts from an empty cluster and deletes it at the end.
if [ "${KAFKA_FINOPS_BENCH_KEEP:-0}" = 1 ]; then
  bash ci/kafka.sh start
else
  bash ci/kafka.sh reset >/dev/null 2>&1 || true
  bash ci/kafka.sh start
  trap 'bash ci/kafka.sh stop >/dev/null 2>&1 || true; bash ci/kafka.sh reset >/dev/null 2>&1 || true' EXIT
fi
eval "$(bash ci/kafka.sh env)"
first="${KAFKA_FINOPS_BOOTSTRAP%%,*}"

work=$(mktemp -d)
cp fixtures/demo/catalog.toml "$work/"
cat > "$work/bench.toml" <<TOML
catalog = "catalog.toml"
[[clusters]]
name = "bench"
platform = "self-managed"
region = "us-east-1"
broker_instance_type = "m5.large"
[[sources]]
name = "kafka:bench"
kind = "kafka"
cluster = "bench"
timeout_seconds = 120
rate_sample_seconds = 0
properties = { "bootstrap.servers" = "$KAFKA_FINOPS_BOOTSTRAP" }
TOML
sed 's/^rate_sample_seconds = 0$/rate_sample_seconds = 1/' "$work/bench.toml" > "$work/bench-rates.toml"

requests_of() { grep -o '[0-9]* request(s)' "$1" | head -1 | cut -d' ' -f1; }

"$bin" collect --config "$work/bench.toml" --record "$work/empty" 2> "$work/empty.log" >/dev/null
before=$(requests_of "$work/empty.log")
before_topics=$(( $(wc -l < "$work/empty/topics.csv") - 1 ))

t0=$(date +%s%N)
"$seed" "$KAFKA_FINOPS_BOOTSTRAP" "$topics" "$partitions" "$rf" "$groups"
t1=$(date +%s%N)
echo "seeded in $(( (t1 - t0) / 1000000 )) ms"

ms() { local a b; a=$(date +%s%N); "$@" > /dev/null 2>&1; b=$(date +%s%N); echo $(( (b - a) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
collect_once() { rm -rf "$work/rec"; "$bin" collect --config "$work/bench.toml" --record "$work/rec"; }
log_dirs_once() { bash ci/kafka.sh log-dirs --bootstrap-server "$first" --describe; }
groups_once() { bash ci/kafka.sh consumer-groups --bootstrap-server "$first" --describe --all-groups; }
configs_once() { bash ci/kafka.sh configs --bootstrap-server "$first" --describe --all --entity-type topics; }

# One untimed warm-up round, then three timed rounds. Each round runs every command once, in turn, so both sides
# meet the brokers in the same state (right after seeding they are still busy compacting, loading and compiling);
# each figure is the median of its three runs.
for f in collect_once log_dirs_once groups_once configs_once; do "$f" > /dev/null 2>&1 || true; done
a=() b=() c=() d=()
for _ in 1 2 3; do
  a+=("$(ms collect_once)"); b+=("$(ms log_dirs_once)"); c+=("$(ms groups_once)"); d+=("$(ms configs_once)")
done
ours=$(median "${a[@]}") log_dirs=$(median "${b[@]}") cg=$(median "${c[@]}") configs=$(median "${d[@]}")
cli=$(( log_dirs + cg + configs ))
"$bin" collect --config "$work/bench.toml" --record "$work/rec2" 2> "$work/rec2.log" >/dev/null
after=$(requests_of "$work/rec2.log")
sampled_ms=$(ms "$bin" collect --config "$work/bench-rates.toml" --record "$work/rec3")
"$bin" collect --config "$work/bench-rates.toml" --record "$work/rec4" 2> "$work/rec4.log" >/dev/null
sampled=$(requests_of "$work/rec4.log")

rows() { tail -n +2 "$1" | wc -l; }
echo
echo "cluster: 3 brokers, $topics topics × $partitions partitions (RF $rf), $groups groups"
echo "kafka-finops recorded: $(rows "$work/rec/topics.csv") topics, $(rows "$work/rec/partitions.csv") partitions," \
     "$(rows "$work/rec/replica_log_dirs.csv") replica sizes, $(rows "$work/rec/consumer_group_offsets.csv") committed offsets"
printf '%-62s %8s ms\n' "(a) kafka-finops collect (everything, one process)" "$ours"
printf '%-62s %8s ms\n' "(b) kafka-log-dirs --describe" "$log_dirs"
printf '%-62s %8s ms\n' "    kafka-consumer-groups --describe --all-groups" "$cg"
printf '%-62s %8s ms\n' "    kafka-configs --describe --all --entity-type topics" "$configs"
printf '%-62s %8s ms\n' "    CLI tools combined" "$cli"
echo "runs (ms): kafka-finops ${a[*]} | log-dirs ${b[*]} | consumer-groups ${c[*]} | configs ${d[*]}"
awk -v a="$ours" -v b="$cli" 'BEGIN { printf "ratio (CLI / kafka-finops): %.1fx\n", b / a }'
echo "kafka-finops requests: $after with $(( $(wc -l < "$work/rec2/topics.csv") - 1 )) topics, $before with $before_topics before seeding"
echo "with the second log-end reading (rate_sample_seconds = 1): $sampled requests (+$(( sampled - after ))), $sampled_ms ms" \
     "(the 1 s wait included), $(( $(wc -l < "$work/rec4/offset_samples.csv") - 1 )) offset readings"
rm -rf "$work"
