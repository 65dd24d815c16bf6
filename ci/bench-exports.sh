#!/usr/bin/env bash
# Benchmark of billing-export ingestion against DuckDB, every format, on the same generated files.
#
#   bash ci/bench-exports.sh [rows] [high-cardinality rows]     (defaults 10,000,000 and 2,000,000)
#   KAFKA_FINOPS_BENCH_FORMATS="cur cur2 focus csv" KAFKA_FINOPS_BENCH_RUNS=5 bash ci/bench-exports.sh
#   KAFKA_FINOPS_BENCH_S3_ROWS=100000000 (default; 0 skips it)     the S3 benchmark's size
#
# Generates (once, cached in $KAFKA_FINOPS_BENCH_DIR, default /tmp/kafka-finops-bench-exports), with DuckDB, one
# bill in four formats:
#   cur    legacy CUR Parquet (flat resource_tags_user_* columns);
#   cur2   CUR 2.0 Parquet (the same line-item columns, tags in a MAP keyed user:<key>);
#   focus  FOCUS 1.x Parquet, as AWS's FOCUS Data Export writes it (x_UsageType, x_Operation, a Tags MAP);
#   csv    legacy CUR as gzip CSV;
# each twice:
#   realistic          hourly lines over 30 days, 2,000 resources, 20 usage types, 12 owner tag values with 10 %
#                      untagged, 3 accounts, 4 wide text columns standing for a real export's other ~100 columns;
#                      a resource belongs to one account, and service and unit follow from the usage type;
#   high-cardinality   the same columns, every line its own resource (so about one group per line): memory
#                      must not grow like the number of groups.
# Then times, in the same run, the median of KAFKA_FINOPS_BENCH_RUNS (default 5; 3 for high-cardinality)
# interleaved runs after a warm-up (this 2-core VM is noisy):
#   (a) kafka-finops reading the file (a `billing-export` source with a local `path`) into cost lines rolled up
#       per day x account x service x usage type x operation x resource x unit x currency x owner tag, and writing
#       them (collect --record);
#   (b) DuckDB (PyPI, pinned in ci/requirements.txt) running the same rollup in SQL (the same key, the quantity,
#       cost and amortized cost summed as DECIMAL(38,10)), written to Parquet.
# Prints wall time and peak RSS (GNU time's %M) of both, their ratios, and whether the goal holds: at least
# 1.25x DuckDB's speed with peak RSS at or below DuckDB's.
#
# Second, a month of KAFKA_FINOPS_BENCH_S3_ROWS lines (legacy CUR Parquet, realistic) served from moto's S3
# (ci/moto.sh, started if it does not run), read by
#   (a) kafka-finops (a `billing-export` source on the bucket; each run with an empty rollup cache), which reads
#       Parquet in place: the footer, then only the column chunks its rollup reads;
#   (b) DuckDB through its httpfs extension (a venv of its own: ci/bench/httpfs-requirements.txt says why).
# Both timed directly against moto (median of 3 interleaved runs); the bytes each fetched are counted by one more
# run of each through a small counting proxy (ci/bench/count_proxy.py), against the object's bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000000}"
hc_rows="${2:-2000000}"
formats="${KAFKA_FINOPS_BENCH_FORMATS:-cur cur2 focus csv}"
runs="${KAFKA_FINOPS_BENCH_RUNS:-5}"
dir="${KAFKA_FINOPS_BENCH_DIR:-/tmp/kafka-finops-bench-exports}"
mkdir -p "$dir"
venv=$(bash ci/moto.sh venv)
py="$venv/bin/python"

cargo build --release --locked --quiet --bin kafka-finops
bin=$PWD/target/release/kafka-finops

gnu_time=/usr/bin/time
[ -x "$gnu_time" ] || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp fixtures/demo/catalog.toml "$work/"

# generate FORMAT CARDINALITY ROWS OUT: one export file, once.
generate() {
  local format=$1 card=$2 n=$3 out=$4
  [ -e "$out" ] && return 0
  echo "generating $format ($card, $n lines) into $out" >&2
  "$py" - "$format" "$card" "$n" "$out.partial" <<'PY'
import sys, duckdb
fmt, card, rows, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
resource = "i" if card == "high" else "(i * 7919) % 2000"
base = f"""
  SELECT
    'line-' || i AS identity_line_item_id,
    TIMESTAMP '2026-10-01 00:00:00' + to_hours((i // 7000) % 720) AS line_item_usage_start_date,
    TIMESTAMP '2026-10-01 01:00:00' + to_hours((i // 7000) % 720) AS line_item_usage_end_date,
    ['111111111111','222222222222','333333333333'][1 + (({resource}) % 2000) % 3] AS line_item_usage_account_id,
    'Usage' AS line_item_line_item_type,
    ['AmazonEC2','AmazonEC2','AmazonEC2','AmazonMSK','AmazonS3'][1 + (i % 5)] AS line_item_product_code,
    ['EBS:VolumeUsage.gp3','EBS:VolumeP-IOPS.gp3','EBS:VolumeP-Throughput.gp3','BoxUsage:m5.2xlarge',
     'DataTransfer-Regional-Bytes','USE1-Kafka.m5.large','USE1-Kafka.Storage.GP2','TimedStorage-ByteHrs',
     'Requests-Tier1','Requests-Tier2','EBS:VolumeUsage.gp2','BoxUsage:r6i.xlarge','USE1-DataTransfer-Out-Bytes',
     'USE1-DataTransfer-In-Bytes','EBS:SnapshotUsage','USE1-NatGateway-Hours','USE1-NatGateway-Bytes',
     'USE1-ElasticIP:IdleAddress','USE1-LoadBalancerUsage','USE1-LCUUsage'][1 + (i % 20)] AS line_item_usage_type,
    ['RunInstances','CreateVolume-Gp3','PutObject','GetObject',''][1 + (i % 5)] AS line_item_operation,
    'us-east-1' || ['a','b','c'][1 + (i % 3)] AS line_item_availability_zone,
    'arn:aws:ec2:us-east-1:111111111111:volume/vol-' || lpad(({resource})::VARCHAR, 9, '0') AS line_item_resource_id,
    ((i % 1000) / 100.0)::DOUBLE AS line_item_usage_amount,
    ((i % 977) / 1000.0)::DOUBLE AS line_item_unblended_cost,
    ((i % 977) / 1000.0)::DOUBLE AS line_item_blended_cost,
    'USD' AS line_item_currency_code,
    ['Hrs','GB-Mo','IOPS-Mo','GiBps-mo','GB','Requests'][1 + ((i % 20) % 6)] AS pricing_unit,
    'Amazon Elastic Compute Cloud running Linux/UNIX, ' || (i % 97) || ' usage in US East (N. Virginia)' AS line_item_line_item_description,
    'General Purpose SSD (gp3) provisioned storage, US East (N. Virginia), product family Storage' AS product_description,
    'OnDemand pricing term, public on demand rate, offering class standard, sku ' || (i % 3001) AS pricing_term,
    CASE WHEN i % 10 = 0 THEN NULL ELSE ['payments','search','ads','checkout','fraud','growth','identity',
      'ledger','logistics','media','platform','risk'][1 + (i % 12)] END AS team,
    CASE WHEN i % 4 = 0 THEN 'prod' ELSE 'staging' END AS environment
  FROM range({rows}) t(i)
"""
tags = "map_from_entries(list_filter([{{'key': '{p}team', 'value': team}}, {{'key': '{p}environment', 'value': environment}}], lambda e: e.value IS NOT NULL))"
if fmt in ("cur", "csv"):
    select = f"SELECT * EXCLUDE (team, environment), team AS resource_tags_user_team, environment AS resource_tags_user_environment FROM ({base})"
elif fmt == "cur2":
    select = f"SELECT * EXCLUDE (team, environment), {tags.format(p='user:')} AS resource_tags FROM ({base})"
else:
    select = f"""SELECT
      line_item_usage_start_date AS ChargePeriodStart, line_item_usage_end_date AS ChargePeriodEnd,
      line_item_usage_account_id AS SubAccountId, line_item_usage_account_id AS BillingAccountId,
      CASE line_item_product_code WHEN 'AmazonEC2' THEN 'Amazon Elastic Compute Cloud'
        WHEN 'AmazonMSK' THEN 'Amazon Managed Streaming for Apache Kafka' ELSE 'Amazon Simple Storage Service' END AS ServiceName,
      line_item_line_item_description AS ChargeDescription, line_item_resource_id AS ResourceId,
      CAST(line_item_usage_amount AS DECIMAL(38,10)) AS ConsumedQuantity, pricing_unit AS ConsumedUnit,
      pricing_unit AS PricingUnit, CAST(line_item_unblended_cost AS DECIMAL(38,10)) AS BilledCost,
      CAST(line_item_unblended_cost AS DECIMAL(38,10)) AS EffectiveCost, 'USD' AS BillingCurrency,
      line_item_usage_type AS x_UsageType, line_item_operation AS x_Operation, product_description AS x_ServiceCode,
      pricing_term AS SkuPriceId, line_item_availability_zone AS AvailabilityZone, {tags.format(p='')} AS Tags
    FROM ({base})"""
if fmt == "csv":
    duckdb.sql(f"COPY ({select}) TO '{out}' (FORMAT csv, HEADER, COMPRESSION gzip)")
elif out.endswith(".parts.partial"):
    # A folder of objects of about 40 MB, as AWS splits a large export.
    duckdb.sql(f"COPY ({select}) TO '{out}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880, FILE_SIZE_BYTES '40MB')")
else:
    duckdb.sql(f"COPY ({select}) TO '{out}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)")
PY
  mv "$out.partial" "$out"
}

# The rollup DuckDB runs: the tool's key and sums (src/collect/aws/exports.rs), per format.
duck_sql() {
  local format=$1
  case $format in
    cur|csv|cur2)
      # Legacy CUR has a flat tag column, CUR 2.0 a MAP: the rest of the rollup is the same.
      local team="resource_tags_user_team"
      [ "$format" = cur2 ] && team="resource_tags['user:team']"
      cat <<SQL
SELECT CAST(line_item_usage_start_date AS DATE) AS day, line_item_usage_account_id, line_item_product_code,
       line_item_usage_type, line_item_operation, line_item_resource_id, pricing_unit, line_item_currency_code,
       $team AS team,
       sum(CAST(line_item_usage_amount AS DECIMAL(38,10))) AS usage_quantity,
       sum(CAST(line_item_unblended_cost AS DECIMAL(38,10))) AS amount,
       sum(CASE line_item_line_item_type WHEN 'SavingsPlanNegation' THEN 0
           ELSE CAST(line_item_unblended_cost AS DECIMAL(38,10)) END) AS amortized
FROM SRC GROUP BY ALL
SQL
      ;;
    focus)
      cat <<'SQL'
SELECT CAST(ChargePeriodStart AS DATE) AS day, SubAccountId, ServiceName, x_UsageType, x_Operation, ResourceId,
       coalesce(ConsumedUnit, PricingUnit) AS unit, BillingCurrency, Tags['team'] AS team,
       sum(CAST(ConsumedQuantity AS DECIMAL(38,10))) AS usage_quantity,
       sum(CAST(BilledCost AS DECIMAL(38,10))) AS amount,
       sum(CAST(EffectiveCost AS DECIMAL(38,10))) AS amortized
FROM SRC GROUP BY ALL
SQL
      ;;
  esac
}

measure() { # prints "seconds kilobytes"
  local out="$work/time.out"
  "$gnu_time" -f "%e %M" -o "$out" "$@" > /dev/null 2> "$work/last.err" || { cat "$work/last.err" >&2; return 1; }
  cat "$out"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

results=()
for format in $formats; do
  for card in realistic high; do
    n=$rows; [ "$card" = high ] && n=$hc_rows
    ext=parquet; [ "$format" = csv ] && ext=csv.gz
    file="$dir/$format-$card-$n.$ext"
    generate "$format" "$card" "$n" "$file"
    case $format in focus) fmt=focus ;; *) fmt=cur ;; esac
    case $format in
      csv) src="read_csv('$file', all_varchar = true, header = true)" ;;
      *) src="read_parquet('$file')" ;;
    esac
    cat > "$work/$format-$card.toml" <<TOML
catalog = "catalog.toml"
[[clusters]]
name = "bench"
platform = "self-managed"
region = "us-east-1"
broker_instance_type = "m5.large"
[[sources]]
name = "bill"
kind = "billing-export"
path = "$file"
format = "$fmt"
owner_tag_keys = ["team"]
TOML
    duck_sql "$format" | sed "s|SRC|$src|" > "$work/$format-$card.sql"
    cat > "$work/$format-$card.py" <<PY
import duckdb
sql = open("$work/$format-$card.sql").read()
duckdb.sql(f"COPY ({sql}) TO '$work/duck-$format-$card.parquet' (FORMAT parquet)")
PY
    printf '#!/bin/sh\nrm -rf "%s/rec" && exec "%s" collect --config "%s/%s-%s.toml" --record "%s/rec"\n' \
      "$work" "$bin" "$work" "$format" "$card" "$work" > "$work/ours.sh"
    printf '#!/bin/sh\nexec "%s" "%s/%s-%s.py"\n' "$py" "$work" "$format" "$card" > "$work/duck.sh"
    chmod +x "$work/ours.sh" "$work/duck.sh"
    "$work/ours.sh" > /dev/null 2> "$work/ours.err" || { echo "kafka-finops failed on $file:" >&2; cat "$work/ours.err" >&2; exit 1; }
    "$work/duck.sh" > /dev/null 2> "$work/duck.err" || { echo "DuckDB failed on $file:" >&2; cat "$work/duck.err" >&2; exit 1; }
    groups=$(( $(wc -l < "$work/rec/cost_lines.csv") - 1 ))
    duck_groups=$("$py" -c "import duckdb; print(duckdb.sql(\"SELECT count(*) FROM '$work/duck-$format-$card.parquet'\").fetchall()[0][0])")
    [ "$groups" = "$duck_groups" ] || { echo "$format/$card: kafka-finops wrote $groups lines, DuckDB $duck_groups" >&2; exit 1; }
    k=$runs; [ "$card" = high ] && k=$(( runs < 3 ? runs : 3 ))
    ot=() om=() dt=() dm=()
    for ((r = 0; r < k; r++)); do
      read -r t m < <(measure "$work/ours.sh"); ot+=("$t"); om+=("$m")
      read -r t m < <(measure "$work/duck.sh"); dt+=("$t"); dm+=("$m")
    done
    o_t=$(median "${ot[@]}") o_m=$(median "${om[@]}") d_t=$(median "${dt[@]}") d_m=$(median "${dm[@]}")
    mb=$(( $(stat -c %s "$file") / 1048576 ))
    line=$(awk -v f="$format" -v c="$card" -v n="$n" -v g="$groups" -v mb="$mb" -v a="$o_t" -v b="$d_t" -v x="$o_m" -v y="$d_m" \
      'BEGIN { s = b / a; r = x / y; ok = (s >= 1.25 && r <= 1) ? "yes" : "no";
               printf "%-6s %-10s %11d %6d %10d %8.2f %8.2f %6.2fx %7d %7d %6.2fx %s", f, c, n, mb, g, a, b, s, x / 1024, y / 1024, r, ok }')
    results+=("$line")
    echo "$format/$card: runs (s) kafka-finops ${ot[*]} | duckdb ${dt[*]}" >&2
  done
done

s3_rows="${KAFKA_FINOPS_BENCH_S3_ROWS:-100000000}"
s3_line=""
if [ "$s3_rows" != 0 ]; then
  # A month split into objects of about 40 MB, as AWS writes a large export. (One object of the whole month is not
  # measurable here: moto reads a whole object into memory for every GET, ranged or not, so each ranged GET of a
  # 787 MB object costs as much as reading it all.)
  s3_parts="$dir/cur-realistic-$s3_rows.parts"
  generate cur realistic "$s3_rows" "$s3_parts"
  started_moto=0
  if ! bash ci/moto.sh status > /dev/null 2>&1; then bash ci/moto.sh start >&2; started_moto=1; fi
  trap 'rm -rf "$work"; [ "$started_moto" = 1 ] && bash ci/moto.sh stop > /dev/null 2>&1 || true; [ -n "${proxy_pid:-}" ] && kill "$proxy_pid" 2> /dev/null || true' EXIT
  eval "$(bash ci/moto.sh env)"
  bucket="bench-exports-$s3_rows" prefix="cur/year=2026/month=10"
  echo "uploading $s3_parts to s3://$bucket/$prefix/ (moto)" >&2
  "$py" - "$KAFKA_FINOPS_AWS_ENDPOINT" "$bucket" "$prefix" "$s3_parts" <<'PY'
import sys, pathlib, boto3
endpoint, bucket, prefix, folder = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for i, part in enumerate(sorted(pathlib.Path(folder).glob("*.parquet"))):
    s3.upload_file(str(part), bucket, f"{prefix}/part-{i:05d}.snappy.parquet")
PY
  hvenv="${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}/venv-httpfs-$(sha256sum ci/bench/httpfs-requirements.txt | cut -c1-12)"
  if [ ! -x "$hvenv/bin/python" ]; then
    python3 -m venv "$hvenv.partial" && "$hvenv.partial/bin/pip" install -q -r ci/bench/httpfs-requirements.txt
    mv "$hvenv.partial" "$hvenv"
  fi
  ext=$("$hvenv/bin/python" -c 'import duckdb_extension_httpfs, pathlib; print(next(pathlib.Path(duckdb_extension_httpfs.__file__).parent.rglob("httpfs.duckdb_extension")))')
  duck_sql cur > "$work/cur-realistic.sql"
  # The S3 rollup through httpfs; the endpoint (host:port) is its first argument.
  cat > "$work/s3-duck.py" <<PY
import sys, duckdb
con = duckdb.connect()
con.execute("LOAD '$ext'")
con.execute(f"SET s3_endpoint = '{sys.argv[1]}'")
con.execute("SET s3_use_ssl = false; SET s3_url_style = 'path'; SET s3_region = 'us-east-1'")
con.execute("SET s3_access_key_id = 'testing'; SET s3_secret_access_key = 'testing'")
sql = open("$work/cur-realistic.sql").read().replace("SRC", "read_parquet('s3://$bucket/$prefix/*.parquet')")
con.execute(f"COPY ({sql}) TO '$work/s3-duck.parquet' (FORMAT parquet)")
PY
  s3_config() { # ENDPOINT URL
    cat <<TOML
catalog = "catalog.toml"
[[clusters]]
name = "bench"
platform = "self-managed"
region = "us-east-1"
broker_instance_type = "m5.large"
[[sources]]
name = "bill"
kind = "billing-export"
bucket = "$bucket"
prefix = "cur/"
endpoint_url = "$1"
region = "us-east-1"
cache_dir = "$work/s3-cache"
format = "cur"
owner_tag_keys = ["team"]
TOML
  }
  s3_scripts() { # ENDPOINT URL: both sides' scripts against it
    s3_config "$1" > "$work/s3.toml"
    printf '#!/bin/sh\nrm -rf "%s/rec" "%s/s3-cache" && exec "%s" collect --config "%s/s3.toml" --record "%s/rec"\n' \
      "$work" "$work" "$bin" "$work" "$work" > "$work/s3-ours.sh"
    printf '#!/bin/sh\nexec "%s" "%s/s3-duck.py" "%s"\n' "$hvenv/bin/python" "$work" "${1#http://}" > "$work/s3-duck.sh"
    chmod +x "$work/s3-ours.sh" "$work/s3-duck.sh"
  }
  s3_scripts "$KAFKA_FINOPS_AWS_ENDPOINT"
  "$work/s3-ours.sh" > /dev/null 2> "$work/ours.err" || { echo "kafka-finops failed on S3:" >&2; cat "$work/ours.err" >&2; exit 1; }
  "$work/s3-duck.sh" > /dev/null 2> "$work/duck.err" || { echo "DuckDB failed on S3:" >&2; cat "$work/duck.err" >&2; exit 1; }
  ot=() om=() dt=() dm=()
  for _ in 1 2 3; do
    read -r t m < <(measure "$work/s3-ours.sh"); ot+=("$t"); om+=("$m")
    read -r t m < <(measure "$work/s3-duck.sh"); dt+=("$t"); dm+=("$m")
  done
  o_t=$(median "${ot[@]}") o_m=$(median "${om[@]}") d_t=$(median "${dt[@]}") d_m=$(median "${dm[@]}")
  # The bytes each fetched: one more run of each through the counting proxy.
  proxy_port=15099
  "$py" ci/bench/count_proxy.py "$proxy_port" "$KAFKA_FINOPS_AWS_ENDPOINT" "$work/proxy.count" &
  proxy_pid=$!
  for _ in $(seq 50); do curl -fsS -m 1 "http://127.0.0.1:$proxy_port/" > /dev/null 2>&1 && break; sleep 0.1; done
  s3_scripts "http://127.0.0.1:$proxy_port"
  : > "$work/proxy.count"; "$work/s3-ours.sh" > /dev/null 2>&1
  ours_bytes=$(awk '{ s += $1 } END { print s + 0 }' "$work/proxy.count")
  : > "$work/proxy.count"; "$work/s3-duck.sh" > /dev/null 2>&1
  duck_bytes=$(awk '{ s += $1 } END { print s + 0 }' "$work/proxy.count")
  kill "$proxy_pid" 2> /dev/null || true; proxy_pid=""
  object=$(cat "$s3_parts"/*.parquet | wc -c)
  objects=$(ls "$s3_parts"/*.parquet | wc -l)
  s3_line=$(awk -v n="$s3_rows" -v ob="$object" -v a="$o_t" -v b="$d_t" -v x="$o_m" -v y="$d_m" -v ou="$ours_bytes" -v du="$duck_bytes" \
    -v k="$objects" 'BEGIN { printf "%d lines in %d objects, %.1f MB: kafka-finops %.2f s, %d MB RSS, fetched %.1f MB (%.1f %%) | DuckDB httpfs %.2f s, %d MB RSS, fetched %.1f MB (%.1f %%) | speed %.2fx, RSS %.2fx",
             n, k, ob / 1e6, a, x / 1024, ou / 1e6, 100 * ou / ob, b, y / 1024, du / 1e6, 100 * du / ob, b / a, x / y }')
  echo "s3: runs (s) kafka-finops ${ot[*]} | duckdb ${dt[*]}" >&2
fi

echo
echo "DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)') beside kafka-finops $("$bin" --version | awk '{print $2}'), median of interleaved runs"
printf '%-6s %-10s %11s %6s %10s %8s %8s %7s %7s %7s %7s %s\n' format card lines MB groups "ours s" "duck s" speed "ours MB" "duck MB" RSS goal
printf '%s\n' "${results[@]}"
echo "speed: DuckDB's time / kafka-finops' (goal >= 1.25x); RSS: kafka-finops' peak / DuckDB's (goal <= 1.00x)"
[ -n "$s3_line" ] && echo "S3 (moto): $s3_line"
