#!/usr/bin/env bash
# Benchmark of billing-export ingestion against DuckDB, on the same generated CUR Parquet file.
#
#   bash ci/bench-exports.sh [rows]      (default 10,000,000)
#
# Generates (once, cached in $KAFKA_FINOPS_BENCH_DIR, default /tmp/kafka-finops-bench-exports) a legacy-CUR Parquet
# export with realistic columns and cardinalities: hourly lines over 30 days, 2,000 resources, 40 usage types
# (EBS, EC2, MSK, inter-AZ transfer, S3), 12 owner tag values with 10 % untagged, 3 accounts, plus 100 filler
# columns' worth of product/pricing text (4 wide string columns) so files are as heavy as real exports. As on a real
# bill, a resource belongs to one account, and service and pricing unit follow from the usage type.
# Then times, in the same run, each the median of 5 interleaved runs after a warm-up (this 2-core VM is noisy):
#   (a) kafka-finops reading it (a `billing-export` source with a local `path`) into cost lines rolled up per
#       day x resource x usage type x owner tag, and writing them (collect --record);
#   (b) DuckDB (PyPI, pinned in ci/requirements.txt) running the equivalent SQL rollup: owner x day x usage class,
#       also per resource, written to Parquet.
# Prints wall time and peak RSS (GNU time's %M) of both and their ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000000}"
dir="${KAFKA_FINOPS_BENCH_DIR:-/tmp/kafka-finops-bench-exports}"
mkdir -p "$dir"
venv=$(bash ci/moto.sh venv)
py="$venv/bin/python"
export_file="$dir/cur-v2-$rows.parquet"

cargo build --release --locked --quiet --bin kafka-finops
bin=target/release/kafka-finops

if [ ! -f "$export_file" ]; then
  echo "generating $rows rows into $export_file"
  "$py" - "$rows" "$export_file" <<'PY'
import sys, duckdb
rows, out = int(sys.argv[1]), sys.argv[2]
duckdb.sql(f"""
COPY (
  SELECT
    'line-' || i AS identity_line_item_id,
    TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_hours((i // 7000) % 720) AS line_item_usage_start_date,
    TIMESTAMPTZ '2026-10-01 01:00:00+00' + to_hours((i // 7000) % 720) AS line_item_usage_end_date,
    ['111111111111','222222222222','333333333333'][1 + ((i * 7919) % 2000) % 3] AS line_item_usage_account_id,
    'Usage' AS line_item_line_item_type,
    ['AmazonEC2','AmazonEC2','AmazonEC2','AmazonMSK','AmazonS3'][1 + (i % 5)] AS line_item_product_code,
    ['EBS:VolumeUsage.gp3','EBS:VolumeP-IOPS.gp3','EBS:VolumeP-Throughput.gp3','BoxUsage:m5.2xlarge',
     'DataTransfer-Regional-Bytes','USE1-Kafka.m5.large','USE1-Kafka.Storage.GP2','TimedStorage-ByteHrs',
     'Requests-Tier1','Requests-Tier2','EBS:VolumeUsage.gp2','BoxUsage:r6i.xlarge','USE1-DataTransfer-Out-Bytes',
     'USE1-DataTransfer-In-Bytes','EBS:SnapshotUsage','USE1-NatGateway-Hours','USE1-NatGateway-Bytes',
     'USE1-ElasticIP:IdleAddress','USE1-LoadBalancerUsage','USE1-LCUUsage'][1 + (i % 20)]
      AS line_item_usage_type,
    ['RunInstances','CreateVolume-Gp3','PutObject','GetObject',''][1 + (i % 5)] AS line_item_operation,
    'us-east-1' || ['a','b','c'][1 + (i % 3)] AS line_item_availability_zone,
    'arn:aws:ec2:us-east-1:111111111111:volume/vol-' || lpad(((i * 7919) % 2000)::VARCHAR, 8, '0') AS line_item_resource_id,
    ((i % 1000) / 100.0)::DOUBLE AS line_item_usage_amount,
    ((i % 977) / 1000.0)::DOUBLE AS line_item_unblended_cost,
    ((i % 977) / 1000.0)::DOUBLE AS line_item_blended_cost,
    'USD' AS line_item_currency_code,
    ['Hrs','GB-Mo','IOPS-Mo','GiBps-mo','GB','Requests'][1 + ((i % 20) % 6)] AS pricing_unit,
    'Amazon Elastic Compute Cloud running Linux/UNIX, ' || (i % 97) || ' usage in US East (N. Virginia)' AS line_item_line_item_description,
    'General Purpose SSD (gp3) provisioned storage, US East (N. Virginia), product family Storage' AS product_description,
    'OnDemand pricing term, public on demand rate, offering class standard, sku ' || (i % 3001) AS pricing_term,
    CASE WHEN i % 10 = 0 THEN NULL ELSE ['payments','search','ads','checkout','fraud','growth','identity',
      'ledger','logistics','media','platform','risk'][1 + (i % 12)] END AS resource_tags_user_team,
    CASE WHEN i % 4 = 0 THEN 'prod' ELSE 'staging' END AS resource_tags_user_environment
  FROM range({rows}) t(i)
) TO '{out}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)
""")
PY
fi
ls -la "$export_file" | awk '{printf "export: %s (%.0f MB)\n", $NF, $5/1048576}'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fixtures/demo/catalog.toml "$work/"
cat > "$work/bench.toml" <<TOML
catalog = "catalog.toml"
[[clusters]]
name = "bench"
platform = "self-managed"
region = "us-east-1"
broker_instance_type = "m5.large"
[[sources]]
name = "cur"
kind = "billing-export"
path = "$export_file"
format = "cur"
owner_tag_keys = ["team"]
TOML
cat > "$work/duck.py" <<'PY'
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
duckdb.sql(f"""
COPY (
  SELECT coalesce(resource_tags_user_team, 'untagged') AS owner,
         CAST(line_item_usage_start_date AS DATE) AS day,
         CASE
           WHEN line_item_usage_type LIKE '%DataTransfer-Regional-Bytes%' THEN 'inter_az_transfer'
           WHEN line_item_usage_type LIKE '%Kafka.Storage%' THEN 'msk_storage'
           WHEN line_item_usage_type LIKE '%Kafka.%' THEN 'msk_broker_hours'
           WHEN line_item_usage_type LIKE '%BoxUsage%' THEN 'ec2_instance_hours'
           WHEN line_item_usage_type LIKE '%EBS:VolumeUsage%' THEN 'ebs_storage'
           WHEN line_item_usage_type LIKE '%EBS:VolumeP-IOPS%' THEN 'ebs_iops'
           WHEN line_item_usage_type LIKE '%EBS:VolumeP-Throughput%' THEN 'ebs_throughput'
           WHEN line_item_usage_type LIKE '%TimedStorage%' THEN 's3_storage'
           WHEN line_item_usage_type LIKE '%Requests-%' THEN 's3_requests'
           ELSE 'other'
         END AS usage_class,
         line_item_usage_account_id, line_item_product_code, line_item_usage_type, line_item_operation,
         line_item_resource_id, pricing_unit, line_item_currency_code,
         sum(CAST(line_item_usage_amount AS DECIMAL(38,10))) AS usage_quantity,
         sum(CAST(line_item_unblended_cost AS DECIMAL(38,10))) AS amount
  FROM read_parquet('{src}')
  GROUP BY ALL
) TO '{out}' (FORMAT parquet)
""")
print(duckdb.sql(f"SELECT count(*), sum(amount) FROM read_parquet('{out}')").fetchall()[0])
PY

# GNU time (the binary, not the shell keyword) gives peak RSS; use /proc-free fallback if missing.
gnu_time=/usr/bin/time
[ -x "$gnu_time" ] || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }
measure() { # prints "seconds kilobytes"
  local out="$work/time.out"
  "$gnu_time" -f "%e %M" -o "$out" "$@" > /dev/null 2> "$work/last.err" || { cat "$work/last.err" >&2; return 1; }
  cat "$out"
}
# GNU time runs programs, not shell functions: each side is a small script.
printf '#!/bin/sh\nrm -rf "%s/rec" && exec "%s" collect --config "%s/bench.toml" --record "%s/rec"\n' \
  "$work" "$PWD/$bin" "$work" "$work" > "$work/ours.sh"
printf '#!/bin/sh\nexec "%s" "%s/duck.py" "%s" "%s/duck.parquet"\n' "$py" "$work" "$export_file" "$work" > "$work/duck.sh"
chmod +x "$work/ours.sh" "$work/duck.sh"
ours_once() { "$work/ours.sh"; }
duck_once() { "$work/duck.sh"; }
median_of() { printf '%s\n' "$@" | sort -n | sed -n 3p; }

ours_once > /dev/null 2>&1 || { echo "kafka-finops failed:" >&2; ours_once >/dev/null; exit 1; }
duck_once > /dev/null 2>&1 || { echo "DuckDB failed:" >&2; duck_once >/dev/null; exit 1; }
declare -a ot om dt dm
for _ in 1 2 3 4 5; do
  read -r t m < <(measure "$work/ours.sh"); ot+=("$t"); om+=("$m")
  read -r t m < <(measure "$work/duck.sh"); dt+=("$t"); dm+=("$m")
done
o_t=$(median_of "${ot[@]}") o_m=$(median_of "${om[@]}") d_t=$(median_of "${dt[@]}") d_m=$(median_of "${dm[@]}")

echo
echo "export: $rows rows; kafka-finops rolled it up into $(( $(wc -l < "$work/rec/cost_lines.csv") - 1 )) cost lines"
printf '%-58s %8s s %8d MB peak RSS\n' "(a) kafka-finops collect (billing-export, CUR dictionaries)" "$o_t" $(( o_m / 1024 ))
printf '%-58s %8s s %8d MB peak RSS\n' "(b) DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)') (python, same rollup SQL)" "$d_t" $(( d_m / 1024 ))
echo "runs (s): kafka-finops ${ot[*]} | duckdb ${dt[*]}"
awk -v a="$o_t" -v b="$d_t" -v c="$o_m" -v d="$d_m" \
  'BEGIN { printf "time ratio (DuckDB / kafka-finops): %.2fx; RSS ratio (kafka-finops / DuckDB): %.2fx\n", b / a, c / d }'
