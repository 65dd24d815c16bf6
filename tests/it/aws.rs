//! The AWS sources against moto in server mode (started by `bash ci/test.sh` through ci/moto.sh), fed with the
//! real exports in ../shared/data/public (read by path, never copied into the project):
//! - `focus-1.0_sample_1000.csv`: FinOps Foundation, FOCUS Sample Data (CC BY 4.0);
//! - `wal_Nov2018-WorkshopCUR-00001.snappy.parquet`: awslabs/aws-well-architected-labs (Apache-2.0).
//!
//! Every expected figure is computed here, independently of the tool: the FOCUS CSV with the csv crate, the CUR
//! Parquet with an eager polars read and plain Rust sums.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use polars::prelude::SerReader;
use rust_decimal::Decimal;

use crate::support::{Output, column, demo_copy, demo_fixture, read_csv, run};

/// moto's state (buckets, seeded answers, the auth switch) is global: the tests that use it run one at a time.
pub static MOTO: Mutex<()> = Mutex::new(());

fn public_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public").join(name);
    assert!(path.is_file(), "{} is missing: the tests read ../shared/data/public by path", path.display());
    path
}

/// The emulator's endpoint, or None (and the test skips) when no emulator runs and none is required.
fn endpoint() -> Option<String> {
    let found = std::env::var("KAFKA_FINOPS_AWS_ENDPOINT").ok();
    if found.is_none() {
        crate::support::service_missing("KAFKA_FINOPS_REQUIRE_AWS", "AWS emulator");
    }
    found
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{nanos}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .http_client(kafka_finops::collect::aws::https_client())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn put(endpoint: &str, bucket: &str, objects: &[(&str, Vec<u8>)]) {
    let client = s3(endpoint);
    runtime().block_on(async {
        let _ = client.create_bucket().bucket(bucket).send().await;
        for (key, body) in objects {
            client.put_object().bucket(bucket).key(*key).body(body.clone().into()).send().await.unwrap();
        }
    });
}

/// A config with one cluster and the given source tables, written with the demo catalog into `dir`.
fn write_config(dir: &Path, sources: &str) -> PathBuf {
    std::fs::copy(demo_fixture().join("catalog.toml"), dir.join("catalog.toml")).unwrap();
    let text = format!(
        r#"catalog = "catalog.toml"

[[clusters]]
name = "prod"
platform = "msk"
region = "us-east-1"
broker_instance_type = "kafka.m5.large"

{sources}
"#
    );
    let path = dir.join("aws.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A copy of the demo fixture (its scenario, cluster and catalog) with more `[[sources]]` appended to its config.
fn with_demo(sources: &str) -> tempfile::TempDir {
    let dir = demo_copy();
    let path = dir.path().join("kafka-finops.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{sources}")).unwrap();
    dir
}

/// A `billing-export` source table reading `s3://<bucket>/<prefix>` from the emulator.
fn s3_export(name: &str, bucket: &str, prefix: &str, endpoint: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"billing-export\"\nbucket = \"{bucket}\"\nprefix = \"{prefix}\"\nendpoint_url = \"{endpoint}\"\n"
    )
}

/// `run` on a `with_demo` folder, writing under `<dir>/out`, with extra arguments and environment.
fn run_demo(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let config = dir.join("kafka-finops.toml");
    let out_dir = dir.join("out");
    std::process::Command::new(crate::support::BIN)
        .args(["run", "--config", config.to_str().unwrap(), "--out", out_dir.to_str().unwrap()])
        .args(extra)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap()
        .into()
}

/// The model.json of a run that printed its run directory.
fn model_text(out: &Output) -> String {
    std::fs::read_to_string(out.run_dir().join("model.json")).unwrap()
}

/// Sums of a recorded cost_lines.csv: per service, per usage type, and the total.
struct Recorded {
    by_service: BTreeMap<String, Decimal>,
    by_usage_type: BTreeMap<String, Decimal>,
    total: Decimal,
    sources: Vec<String>,
}

fn recorded(dir: &Path) -> Recorded {
    let (h, rows) = read_csv(&dir.join("cost_lines.csv"));
    let services = column(&h, &rows, "service");
    let usage = column(&h, &rows, "usage_type");
    let amounts = column(&h, &rows, "amount");
    let sources = column(&h, &rows, "source");
    let mut r = Recorded {
        by_service: BTreeMap::new(),
        by_usage_type: BTreeMap::new(),
        total: Decimal::ZERO,
        sources: sources.iter().map(|s| s.to_string()).collect(),
    };
    for i in 0..rows.len() {
        let a = Decimal::from_str(amounts[i]).unwrap();
        *r.by_service.entry(services[i].to_string()).or_default() += a;
        *r.by_usage_type.entry(usage[i].to_string()).or_default() += a;
        r.total += a;
    }
    r.sources.sort();
    r.sources.dedup();
    r
}

/// Amounts are kept to 10 decimal places (Decimal(38,10)); a few sample values carry an 11th, so sums of n lines
/// may differ by n × 1e-10.
fn assert_close(what: &str, ours: Decimal, theirs: Decimal, lines: usize) {
    let tolerance = Decimal::new(lines as i64 + 1, 10);
    assert!((ours - theirs).abs() <= tolerance, "{what}: tool {ours} vs independent {theirs} (tolerance {tolerance})");
}

#[test]
fn a_focus_export_in_s3_gives_the_same_totals_per_service_and_for_inter_az_transfer() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let source = public_data("focus-1.0_sample_1000.csv");

    // Independent sums, straight from the CSV.
    let mut reader = csv::Reader::from_path(&source).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let idx = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (cost, service, description) = (idx("BilledCost"), idx("ServiceName"), idx("ChargeDescription"));
    let effective = idx("EffectiveCost");
    let mut effective_total = Decimal::ZERO;
    let mut by_service: BTreeMap<String, Decimal> = BTreeMap::new();
    let (mut inter_az, mut total, mut lines) = (Decimal::ZERO, Decimal::ZERO, 0usize);
    for rec in reader.records() {
        let rec = rec.unwrap();
        lines += 1;
        let amount = match &rec[cost] {
            "NULL" | "" => Decimal::ZERO,
            v => Decimal::from_str(v).unwrap(),
        };
        *by_service.entry(rec[service].to_string()).or_default() += amount;
        total += amount;
        if !matches!(&rec[effective], "NULL" | "") {
            effective_total += Decimal::from_str(&rec[effective]).unwrap();
        }
        if rec[description].to_lowercase().contains("regional data transfer") {
            inter_az += amount;
        }
    }
    assert_eq!(lines, 1000);
    assert!(inter_az > Decimal::ZERO, "the sample has inter-AZ lines");

    let bucket = unique("focus");
    let key = "exports/focus/data/BILLING_PERIOD=2024-09/focus-00001.csv.gz";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::copy(&mut std::fs::File::open(&source).unwrap(), &mut gz).unwrap();
    put(&endpoint, &bucket, &[(key, gz.finish().unwrap())]);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"[[sources]]
name = "focus"
kind = "billing-export"
bucket = "{bucket}"
prefix = "exports/focus/"
billing_periods = ["2024-09"]
endpoint_url = "{endpoint}"
region = "us-east-1"
owner_tag_keys = ["business_unit"]
"#
        ),
    );
    let rec = dir.path().join("rec");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let got = recorded(&rec);
    assert_eq!(got.sources, vec!["focus"]);
    assert_eq!(got.by_service.keys().collect::<Vec<_>>(), by_service.keys().collect::<Vec<_>>());
    for (s, want) in &by_service {
        assert_close(s, got.by_service[s], *want, lines);
    }
    assert_close("total", got.total, total, lines);
    assert_close("inter-AZ", got.by_usage_type["DataTransfer-Regional-Bytes"], inter_az, lines);
    // The owner tag came through on tagged lines.
    let (h, rows) = read_csv(&rec.join("cost_lines.csv"));
    assert!(column(&h, &rows, "tags").iter().any(|t| t.contains("\"business_unit\":")));
    // FOCUS's EffectiveCost is the amortized cost.
    let amortized: Decimal = column(&h, &rows, "amortized_amount")
        .iter()
        .filter(|a| !a.is_empty())
        .map(|a| Decimal::from_str(a).unwrap())
        .sum();
    assert_close("amortized (EffectiveCost)", amortized, effective_total, lines);
    // The per-tag view of the same money adds up to the same total (untagged lines under an empty value).
    let (h, rows) = read_csv(&rec.join("cost_allocations.csv"));
    let allocated: Decimal = column(&h, &rows, "amount").iter().map(|a| Decimal::from_str(a).unwrap()).sum();
    assert_close("allocated by business_unit", allocated, total, lines);
    assert!(column(&h, &rows, "tag_value").contains(&""));
    assert!(out.stderr.contains("1000 line items"), "stderr: {}", out.stderr);
}

#[test]
fn a_legacy_cur_parquet_in_s3_gives_the_same_totals_per_product_and_for_inter_az_transfer() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let source = public_data("wal_Nov2018-WorkshopCUR-00001.snappy.parquet");

    // Independent sums: an eager read of the three columns, summed in Rust.
    let df = polars::prelude::ParquetReader::new(std::fs::File::open(&source).unwrap())
        .with_columns(Some(vec![
            "line_item_product_code".into(),
            "line_item_usage_type".into(),
            "line_item_unblended_cost".into(),
            "line_item_line_item_type".into(),
            "reservation_effective_cost".into(),
            "reservation_unused_amortized_upfront_fee_for_billing_period".into(),
            "reservation_unused_recurring_fee".into(),
        ]))
        .finish()
        .unwrap();
    // Amortized cost by line item type (this file has Usage, DiscountedUsage and RIFee lines): a covered hour
    // costs the reservation's effective cost, and a reservation's fee only what went unused.
    let f64_col = |name: &str| df.column(name).unwrap().f64().unwrap().clone();
    let kinds = df.column("line_item_line_item_type").unwrap().str().unwrap().clone();
    let (unblended_cost, effective, unused_upfront, unused_recurring) = (
        f64_col("line_item_unblended_cost"),
        f64_col("reservation_effective_cost"),
        f64_col("reservation_unused_amortized_upfront_fee_for_billing_period"),
        f64_col("reservation_unused_recurring_fee"),
    );
    let mut amortized_total = 0.0;
    for i in 0..df.height() {
        amortized_total += match kinds.get(i).unwrap_or("") {
            "DiscountedUsage" => effective.get(i).unwrap_or(0.0),
            "RIFee" => unused_upfront.get(i).unwrap_or(0.0) + unused_recurring.get(i).unwrap_or(0.0),
            _ => unblended_cost.get(i).unwrap_or(0.0),
        };
    }
    let products = df.column("line_item_product_code").unwrap().str().unwrap().clone();
    let usage = df.column("line_item_usage_type").unwrap().str().unwrap().clone();
    let costs = df.column("line_item_unblended_cost").unwrap().f64().unwrap().clone();
    let mut by_product: BTreeMap<String, f64> = BTreeMap::new();
    let mut inter_az = 0.0;
    for i in 0..df.height() {
        let c = costs.get(i).unwrap_or(0.0);
        *by_product.entry(products.get(i).unwrap_or("").to_string()).or_default() += c;
        if usage.get(i).unwrap_or("").contains("DataTransfer-Regional-Bytes") {
            inter_az += c;
        }
    }
    assert_eq!(df.height(), 124_340);

    let bucket = unique("cur");
    let key = "cur/wal/wal/year=2018/month=11/wal-00001.snappy.parquet";
    put(&endpoint, &bucket, &[(key, std::fs::read(&source).unwrap())]);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"[[sources]]
name = "cur"
kind = "billing-export"
bucket = "{bucket}"
prefix = "cur/wal/"
format = "cur"
endpoint_url = "{endpoint}"
owner_tag_keys = ["cost_center"]
cache_dir = "cache"
"#
        ),
    );
    let rec = dir.path().join("rec");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let got = recorded(&rec);
    assert_eq!(got.sources, vec!["cur"]);
    // Doubles in the file, decimals in the tool: equal to the cent on every product.
    let cent = |v: f64| (v * 100.0).round() / 100.0;
    for (p, want) in &by_product {
        let ours: f64 = got.by_service[p].to_string().parse().unwrap();
        assert!((cent(ours) - cent(*want)).abs() < 0.011, "{p}: tool {ours} vs independent {want}");
    }
    let ours_az: f64 = got
        .by_usage_type
        .iter()
        .filter(|(u, _)| u.contains("DataTransfer-Regional-Bytes"))
        .map(|(_, a)| a.to_string().parse::<f64>().unwrap())
        .sum();
    assert!(inter_az > 0.0);
    assert!((ours_az - inter_az).abs() < 0.01, "inter-AZ: tool {ours_az} vs independent {inter_az}");
    assert!(out.stderr.contains("124340 line items"), "stderr: {}", out.stderr);

    let (h, rows) = read_csv(&rec.join("cost_lines.csv"));
    let ours_amortized: f64 =
        column(&h, &rows, "amortized_amount").iter().map(|a| a.parse::<f64>().expect("every line has one")).sum();
    let unblended: f64 = by_product.values().sum();
    assert!((amortized_total - unblended).abs() > 100.0, "reservations make amortized differ from unblended here");
    assert!(
        (ours_amortized - amortized_total).abs() < 0.01,
        "amortized: tool {ours_amortized} vs independent {amortized_total}"
    );

    // Read in place: the object's size as S3 holds it, and only its footer and the rollup's columns fetched.
    let scenario: toml::Table = toml::from_str(&std::fs::read_to_string(rec.join("scenario.toml")).unwrap()).unwrap();
    let transfer = &scenario["sources"].as_array().unwrap()[0]["transfer"];
    let (fetched, object) =
        (transfer["fetched_bytes"].as_integer().unwrap(), transfer["object_bytes"].as_integer().unwrap());
    assert_eq!(object as u64, std::fs::metadata(&source).unwrap().len(), "object bytes are the file's size");
    eprintln!("fetched {fetched} of {object} bytes ({:.1} %)", fetched as f64 * 100.0 / object as f64);
    // The columns the rollup reads are 35 % of this small file's bytes (measured with no merging of ranges); half
    // is the bound that merging nearby ranges must stay under.
    assert!(fetched * 2 < object, "fetched {fetched} of {object} bytes: more than half of the object");

    // Run again: the object's ETag is the same, so its rollup is reused and nothing but the listing is fetched.
    let collect = |to: &Path| {
        let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", to.to_str().unwrap()], dir.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        let scenario: toml::Table =
            toml::from_str(&std::fs::read_to_string(to.join("scenario.toml")).unwrap()).unwrap();
        let source = scenario["sources"].as_array().unwrap()[0].clone();
        (
            recorded(to),
            source["transfer"]["fetched_bytes"].as_integer().unwrap(),
            source["requests"].as_integer().unwrap(),
        )
    };
    let (again, fetched_again, requests_again) = collect(&dir.path().join("rec2"));
    assert_eq!(again.total, got.total, "the kept rollup gives the same figures");
    assert_eq!(fetched_again, 0, "an unchanged object is not fetched again");
    assert_eq!(requests_again, 1, "one listing, no GET");

    // Rewritten (a new ETag): read again. The new object is the first 1,000 line items; its total is summed here.
    let whole = polars::prelude::ParquetReader::new(std::fs::File::open(&source).unwrap()).finish().unwrap();
    let mut first = whole.head(Some(1000));
    let mut bytes = Vec::new();
    polars::prelude::ParquetWriter::new(&mut bytes).finish(&mut first).unwrap();
    let want: f64 = first.column("line_item_unblended_cost").unwrap().f64().unwrap().iter().flatten().sum();
    put(&endpoint, &bucket, &[(key, bytes)]);
    let (rewritten, fetched_rewritten, _) = collect(&dir.path().join("rec3"));
    assert!(fetched_rewritten > 0, "a rewritten object is fetched again");
    let total: f64 = rewritten.total.to_string().parse().unwrap();
    assert!((total - want).abs() < 0.01, "rewritten object: tool {total} vs independent {want}");
}

#[test]
fn a_renamed_cur_column_fails_the_source_naming_the_column_and_the_run_exits_1() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let bucket = unique("renamed");
    let csv = "line_item_usage_start_date,line_item_usage_account_id,line_item_product_code,line_item_usage_type,\
line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_unblended_costs,line_item_currency_code\n\
2024-09-01T00:00:00Z,123,AmazonEC2,BoxUsage:m5.large,RunInstances,i-1,1,Hrs,0.096,USD\n";
    put(&endpoint, &bucket, &[("cur/BILLING_PERIOD=2024-09/part-0.csv", csv.as_bytes().to_vec())]);
    let dir = with_demo(&s3_export("cur", &bucket, "cur/", &endpoint));
    let out = run_demo(dir.path(), &[], &[]);
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model = model_text(&out);
    assert!(model.contains("column `line_item_unblended_cost` is missing"), "{model}");
    assert!(model.contains("closest column: `line_item_unblended_costs`"), "{model}");
    assert!(model.contains(&format!("s3://{bucket}/cur/BILLING_PERIOD=2024-09/part-0.csv")));
}

#[test]
fn a_manifest_naming_a_missing_object_fails_the_source_with_the_key_and_exit_1() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let bucket = unique("missing");
    let manifest = r#"{"dataFiles": ["s3://BUCKET/e/data/BILLING_PERIOD=2024-09/e-00001.snappy.parquet"]}"#
        .replace("BUCKET", &bucket);
    put(&endpoint, &bucket, &[("e/metadata/BILLING_PERIOD=2024-09/e-Manifest.json", manifest.into_bytes())]);
    let dir = with_demo(&s3_export("focus", &bucket, "e/", &endpoint));
    let out = run_demo(dir.path(), &[], &[]);
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model = model_text(&out);
    assert!(model.contains("e/data/BILLING_PERIOD=2024-09/e-00001.snappy.parquet"), "{model}");
    assert!(model.contains("NoSuchKey"), "{model}");
}

/// The README's policy, `IAM_ACTIONS` and the SDK calls in src/collect/aws are the same set. SDK calls are found as
/// `client.<operation>()`, the one way the AWS code calls a client.
#[test]
fn the_readme_policy_lists_exactly_the_actions_the_code_calls() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme.split("<!-- iam-policy -->").nth(1).unwrap().split("<!-- /iam-policy -->").next().unwrap();
    let json = block.trim().trim_start_matches("```json").trim_end_matches("```");
    let policy: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut documented: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    documented.sort();
    let mut declared: Vec<String> =
        kafka_finops::collect::aws::IAM_ACTIONS.iter().map(|(a, _)| a.to_string()).collect();
    declared.sort();
    declared.dedup();
    assert_eq!(documented, declared, "README policy vs IAM_ACTIONS");

    let mut calls = std::collections::BTreeSet::new();
    let call = regex::Regex::new(r"client\s*\.\s*([a-z0-9_]+)\(\)").unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect/aws");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        calls.extend(call.captures_iter(&text).map(|c| c[1].to_string()));
    }
    let mapped: std::collections::BTreeSet<String> =
        kafka_finops::collect::aws::IAM_ACTIONS.iter().map(|(_, c)| c.to_string()).collect();
    assert_eq!(calls, mapped, "SDK calls in src/collect/aws vs IAM_ACTIONS");
}

/// POSTs to moto's own API (`/moto-api/...`).
fn moto_api(endpoint: &str, path: &str, body: &str) {
    let out = std::process::Command::new("curl")
        // A non-form content type: moto reads the raw body, which Flask leaves empty for form posts.
        .args(["-fsS", "-m", "10", "-H", "Content-Type: application/json", "--data-binary", body])
        .arg(format!("{endpoint}{path}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "moto {path}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The real `GetCostAndUsage` days in kcp's MSK state file (confluentinc/kcp, Apache-2.0): 2025-04-13..15,
/// grouped by SERVICE and USAGE_TYPE.
fn kcp_results_by_time() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(public_data("kcp_msk_state-with-metrics.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    state["msk_sources"]["regions"][0]["costs"]["results"].as_array().unwrap().clone()
}

fn ce_config(dir: &Path, endpoint: &str, restatement_days: u32) -> PathBuf {
    write_config(
        dir,
        &format!(
            r#"[[sources]]
name = "ce"
kind = "cost-explorer"
endpoint_url = "{endpoint}"
end_date = "2025-04-16"
days = 3
restatement_days = {restatement_days}
cache_dir = "cache"
"#
        ),
    )
}

fn requests_in(stderr: &str, source: &str) -> u64 {
    let line =
        stderr.lines().find(|l| l.starts_with(&format!("source `{source}`"))).unwrap_or_else(|| panic!("{stderr}"));
    line.split(", ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn cost_explorer_follows_pages_caches_closed_days_and_asks_only_the_restatement_window_again() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    moto_api(&endpoint, "/moto-api/reset", "");
    let days = kcp_results_by_time();
    assert_eq!(days.len(), 3);
    // Two pages for the first run; then, for the restatement run, 2025-04-15 revised.
    let mut revised = days[2].clone();
    revised["Groups"][2]["Metrics"]["UnblendedCost"]["Amount"] = "2.5".into();
    let seed = serde_json::json!({"results": [
        {"ResultsByTime": [days[0], days[1]], "NextPageToken": "page-2", "DimensionValueAttributes": []},
        {"ResultsByTime": [days[2]], "DimensionValueAttributes": []},
        {"ResultsByTime": [revised], "DimensionValueAttributes": []},
    ]});
    moto_api(&endpoint, "/moto-api/static/ce/cost-and-usage-results", &seed.to_string());

    let dir = tempfile::tempdir().unwrap();
    let config = ce_config(dir.path(), &endpoint, 0);
    let record = |name: &str| {
        let rec = dir.path().join(name);
        let out =
            run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        (rec, out.stderr)
    };

    let (first, stderr) = record("first");
    assert_eq!(requests_in(&stderr, "ce"), 2, "two pages: {stderr}");
    let (h, rows) = read_csv(&first.join("cost_lines.csv"));
    let storage: Vec<(&str, &str)> = column(&h, &rows, "date")
        .into_iter()
        .zip(column(&h, &rows, "usage_type"))
        .zip(column(&h, &rows, "amount"))
        .filter(|((_, u), _)| *u == "USE1-Kafka.Storage.GP2")
        .map(|((d, _), a)| (d, a))
        .collect();
    assert_eq!(
        storage,
        vec![("2025-04-13", "1.9999999992"), ("2025-04-14", "1.9999999992"), ("2025-04-15", "1.9999999992")]
    );
    let transfer: Vec<&str> = column(&h, &rows, "usage_type")
        .into_iter()
        .zip(column(&h, &rows, "amount"))
        .filter(|(u, _)| *u == "DataTransfer-Regional-Bytes")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(transfer, vec!["0.0023065471", "0.0024634807", "0.002340323"]);
    assert_eq!(rows.len(), 12);
    let amortized = column(&h, &rows, "amortized_amount");
    assert!(amortized.iter().all(|a| !a.is_empty()), "Cost Explorer gives AmortizedCost for every group");

    // Same closed days again: nothing asked, the same lines from the cache.
    let (second, stderr) = record("second");
    assert_eq!(requests_in(&stderr, "ce"), 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(first.join("cost_lines.csv")).unwrap(),
        std::fs::read_to_string(second.join("cost_lines.csv")).unwrap()
    );

    // A one-day restatement window: only 2025-04-15 is asked again, and its revision replaces the cached day.
    let config = ce_config(dir.path(), &endpoint, 1);
    let rec = dir.path().join("third");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(requests_in(&out.stderr, "ce"), 1, "{}", out.stderr);
    let (h, rows) = read_csv(&rec.join("cost_lines.csv"));
    let day15: Vec<&str> = column(&h, &rows, "date")
        .into_iter()
        .zip(column(&h, &rows, "usage_type"))
        .zip(column(&h, &rows, "amount"))
        .filter(|((d, u), _)| *d == "2025-04-15" && *u == "USE1-Kafka.Storage.GP2")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(day15, vec!["2.5"]);
    assert_eq!(rows.len(), 12);
}

/// Turns moto's IAM enforcement on for as long as it lives, for a user allowed `allowed` actions only.
struct RestrictedUser {
    endpoint: String,
    key_id: String,
    secret: String,
}

impl RestrictedUser {
    fn new(endpoint: &str, allowed: &[&str]) -> RestrictedUser {
        let iam = |params: &[(&str, &str)]| -> String {
            let mut args = vec![
                "-fsS".to_string(),
                "-m".into(),
                "10".into(),
                "--aws-sigv4".into(),
                "aws:amz:us-east-1:iam".into(),
                "--user".into(),
                "testing:testing".into(),
                format!("{endpoint}/"),
                "--data-urlencode".into(),
                "Version=2010-05-08".into(),
            ];
            for (k, v) in params {
                args.push("--data-urlencode".into());
                args.push(format!("{k}={v}"));
            }
            let out = std::process::Command::new("curl").args(&args).output().unwrap();
            assert!(out.status.success(), "IAM {params:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let user = unique("finops-reader");
        iam(&[("Action", "CreateUser"), ("UserName", &user)]);
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]});
        iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", &user),
            ("PolicyName", "finops"),
            ("PolicyDocument", &policy.to_string()),
        ]);
        let created = iam(&[("Action", "CreateAccessKey"), ("UserName", &user)]);
        let tag =
            |name: &str| created.split(&format!("<{name}>")).nth(1).unwrap().split('<').next().unwrap().to_string();
        let (key_id, secret) = (tag("AccessKeyId"), tag("SecretAccessKey"));
        moto_api(endpoint, "/moto-api/reset-auth", "0");
        RestrictedUser { endpoint: endpoint.to_string(), key_id, secret }
    }
}

impl Drop for RestrictedUser {
    fn drop(&mut self) {
        moto_api(&self.endpoint, "/moto-api/reset-auth", "inf");
    }
}

#[test]
fn access_denied_fails_the_source_naming_the_iam_action_and_the_run_still_reports_with_exit_1() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let bucket = unique("denied");
    put(&endpoint, &bucket, &[("cur/BILLING_PERIOD=2024-09/part-0.csv", b"a,b\n1,2\n".to_vec())]);
    let dir = with_demo(&s3_export("cur", &bucket, "cur/", &endpoint));
    let user = RestrictedUser::new(&endpoint, &["s3:ListBucket"]);
    let out =
        run_demo(dir.path(), &[], &[("AWS_ACCESS_KEY_ID", &user.key_id), ("AWS_SECRET_ACCESS_KEY", &user.secret)]);
    drop(user);
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let run_dir = out.run_dir();
    let model = model_text(&out);
    assert!(model.contains("access denied"), "{model}");
    assert!(model.contains("grant the IAM action `s3:GetObject`"), "{model}");
    assert!(run_dir.join("index.html").is_file());
}

fn cloudwatch(endpoint: &str) -> aws_sdk_cloudwatch::Client {
    let config = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .http_client(kafka_finops::collect::aws::https_client())
        .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    aws_sdk_cloudwatch::Client::from_conf(config)
}

/// A metric point to put: (dimensions, unix seconds, value).
type Point<'a> = (Vec<(&'a str, String)>, i64, f64);

/// Points of one AWS/Kafka metric, 1,000 per PutMetricData call.
fn put_points(endpoint: &str, metric: &str, points: &[Point]) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let client = cloudwatch(endpoint);
    runtime().block_on(async {
        for chunk in points.chunks(1000) {
            let data = chunk
                .iter()
                .map(|(dims, t, v)| {
                    MetricDatum::builder()
                        .metric_name(metric)
                        .set_dimensions(Some(
                            dims.iter().map(|(n, v)| Dimension::builder().name(*n).value(v).build()).collect(),
                        ))
                        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(*t))
                        .value(*v)
                        .build()
                })
                .collect();
            client.put_metric_data().namespace("AWS/Kafka").set_metric_data(Some(data)).send().await.unwrap();
        }
    });
}

#[test]
fn cloudwatch_reads_real_msk_series_more_than_500_at_a_time_and_sums_topic_rates_over_brokers() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    moto_api(&endpoint, "/moto-api/reset", "");
    // The real daily BytesInPerSec of kcp's `kcp-playground` MSK cluster (confluentinc/kcp, Apache-2.0).
    let text = std::fs::read_to_string(public_data("kcp_msk_state-with-metrics.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cluster = &state["msk_sources"]["regions"][0]["clusters"][0];
    assert_eq!(cluster["name"], "kcp-playground");
    let result =
        cluster["metrics"]["results"].as_array().unwrap().iter().find(|r| r["Label"] == "BytesInPerSec").unwrap();
    let real: Vec<(i64, f64)> = result["Timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(result["Values"].as_array().unwrap())
        .map(|(t, v)| {
            (chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().timestamp(), v.as_f64().unwrap())
        })
        .collect();
    assert_eq!(real.len(), 126);
    let broker = |id: &str| vec![("Cluster Name", "kcp-playground".to_string()), ("Broker ID", id.to_string())];
    let mut points: Vec<Point> = real.iter().map(|(t, v)| (broker("1"), *t, *v)).collect();
    // 520 topics on two brokers each: 1,040 per-topic series, more than two GetMetricData calls' worth.
    let day = real[0].0;
    for i in 0..520 {
        for (b, v) in [("1", 100.0), ("2", 50.0 + f64::from(i))] {
            let mut dims = broker(b);
            dims.push(("Topic", format!("topic-{i:03}")));
            points.push((dims, day, v));
        }
    }
    put_points(&endpoint, "BytesInPerSec", &points);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            r#"[[sources]]
name = "cw"
kind = "cloudwatch"
cluster = "prod"
msk_cluster_name = "kcp-playground"
endpoint_url = "{endpoint}"
period_seconds = 86400
days = 130
end_time = "2026-04-13T00:00:00Z"
"#
        ),
    );
    let rec = dir.path().join("rec");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("1041 series"), "{}", out.stderr);
    assert!(requests_in(&out.stderr, "cw") >= 6 + 3, "six ListMetrics, at least three GetMetricData: {}", out.stderr);

    let (h, rows) = read_csv(&rec.join("metric_points.csv"));
    let dims = column(&h, &rows, "dimensions");
    let times = column(&h, &rows, "timestamp");
    let values = column(&h, &rows, "value");
    let mut broker_series: Vec<(i64, f64)> = (0..rows.len())
        .filter(|i| dims[*i] == "Broker ID=1,Cluster Name=kcp-playground")
        .map(|i| (chrono::DateTime::parse_from_rfc3339(times[i]).unwrap().timestamp(), values[i].parse().unwrap()))
        .collect();
    broker_series.sort_by_key(|p| p.0);
    // The broker's own series again under the config's cluster name, for the capacity analysis.
    let renamed = (0..rows.len()).filter(|i| dims[*i] == "Broker ID=1,Cluster Name=prod").count();
    assert_eq!(renamed, real.len());
    let mut want = real.clone();
    want.sort_by_key(|p| p.0);
    assert_eq!(broker_series.len(), want.len());
    for (got, want) in broker_series.iter().zip(&want) {
        assert_eq!(got.0, want.0);
        assert!((got.1 - want.1).abs() < 1e-6 * want.1.abs().max(1.0), "{got:?} vs {want:?}");
    }
    for i in [0, 519] {
        let total: Vec<f64> = (0..rows.len())
            .filter(|r| dims[*r] == format!("Cluster Name=prod,Topic=topic-{i:03}"))
            .map(|r| values[r].parse().unwrap())
            .collect();
        assert_eq!(total, vec![150.0 + f64::from(i)]);
    }
}

#[test]
fn days_cost_explorer_has_no_data_for_are_missing_in_the_model_and_report_not_zero() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    moto_api(&endpoint, "/moto-api/reset", "");
    // Five days asked (2025-04-11..15); the answer has groups for the last three only.
    let mut days = kcp_results_by_time();
    days.insert(0, serde_json::json!({"TimePeriod": {"Start": "2025-04-12", "End": "2025-04-13"}, "Groups": [], "Total": {}, "Estimated": false}));
    let seed = serde_json::json!({"results": [{"ResultsByTime": days, "DimensionValueAttributes": []}]});
    moto_api(&endpoint, "/moto-api/static/ce/cost-and-usage-results", &seed.to_string());
    let dir = with_demo(&format!(
        "[[sources]]\nname = \"ce\"\nkind = \"cost-explorer\"\nendpoint_url = \"{endpoint}\"\nend_date = \"2025-04-16\"\ndays = 5\nrestatement_days = 0\ncache_dir = \"cache\"\n"
    ));
    let out = run_demo(dir.path(), &[], &[]);
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model = crate::support::read_model(&out.run_dir());
    let ce: Vec<(&str, Option<Decimal>)> =
        model.cost_days.iter().filter(|d| d.source == "ce").map(|d| (d.day.as_str(), d.amount_usd)).collect();
    let days: Vec<&str> = ce.iter().map(|(d, _)| *d).collect();
    assert_eq!(days, ["2025-04-11", "2025-04-12", "2025-04-13", "2025-04-14", "2025-04-15"]);
    assert!(ce[0].1.is_none() && ce[1].1.is_none(), "{ce:?}");
    assert!(ce[2..].iter().all(|(_, a)| a.is_some()), "{ce:?}");
    let html = std::fs::read_to_string(out.run_dir().join("index.html")).unwrap();
    assert!(html.contains("3 of 5"), "the report counts the days with data");
    assert!(html.contains("2025-04-11..2025-04-12"), "and names the missing ones");
}

#[test]
fn cost_explorer_by_owner_tag_allocates_to_owners_beside_the_lines_not_on_top_of_them() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    moto_api(&endpoint, "/moto-api/reset", "");
    let day = kcp_results_by_time()[0].clone();
    let msk = "Amazon Managed Streaming for Apache Kafka";
    // Cost Explorer answers every metric asked for in every group (the collector asks for three).
    let group = |keys: [&str; 2], amount: &str| {
        let metric = serde_json::json!({"Amount": amount, "Unit": "USD"});
        let quantity = serde_json::json!({"Amount": "1", "Unit": "N/A"});
        serde_json::json!({"Keys": keys, "Metrics": {"UnblendedCost": metric, "AmortizedCost": metric, "UsageQuantity": quantity}})
    };
    let by_tag = serde_json::json!({
        "TimePeriod": day["TimePeriod"], "Total": {}, "Estimated": false,
        "Groups": [group([msk, "team$payments"], "1.25"), group([msk, "team$"], "0.7499999992"), group(["EC2 - Other", "team$orphan"], "0.84")],
    });
    let seed = serde_json::json!({"results": [
        {"ResultsByTime": [day], "DimensionValueAttributes": []},
        {"ResultsByTime": [by_tag], "DimensionValueAttributes": []},
    ]});
    moto_api(&endpoint, "/moto-api/static/ce/cost-and-usage-results", &seed.to_string());
    let dir = with_demo(&format!(
        "[[sources]]\nname = \"ce\"\nkind = \"cost-explorer\"\nendpoint_url = \"{endpoint}\"\nend_date = \"2025-04-14\"\ndays = 1\nrestatement_days = 0\ncache_dir = \"cache\"\nowner_tag_keys = [\"team\"]\n"
    ));
    let rec = dir.path().join("rec");
    let out = run_demo(dir.path(), &["--record", rec.to_str().unwrap()], &[]);
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    // Two requests (by usage type, by tag); the tag view is its own table, the cost lines hold the usage-type view.
    let (h, rows) = read_csv(&rec.join("cost_allocations.csv"));
    let sources = column(&h, &rows, "source");
    let got: Vec<(&str, &str)> = column(&h, &rows, "tag_value")
        .into_iter()
        .zip(column(&h, &rows, "amount"))
        .enumerate()
        .filter(|(i, _)| sources[*i] == "cost-explorer")
        .map(|(_, pair)| pair)
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got.contains(&("payments", "1.25")) && got.contains(&("", "0.7499999992")) && got.contains(&("orphan", "0.84"))
    );
    let (h, rows) = read_csv(&rec.join("cost_lines.csv"));
    let ce_lines = column(&h, &rows, "source").into_iter().filter(|s| *s == "cost-explorer").count();
    assert_eq!(ce_lines, 4, "the four usage-type groups of the day, not the tag groups");

    let model = crate::support::read_model(&out.run_dir());
    let tags: Vec<(&str, &str, Decimal)> =
        model.tag_costs.iter().map(|t| (t.owner.as_str(), t.tag_value.as_str(), t.amount_usd)).collect();
    let usd = |s: &str| Decimal::from_str(s).unwrap();
    assert!(tags.contains(&("payments", "payments", usd("1.25"))), "{tags:?}");
    assert!(tags.contains(&("unowned", "", usd("0.7499999992"))), "{tags:?}");
    assert!(tags.contains(&("unowned", "orphan", usd("0.84"))), "{tags:?}");
    let html = std::fs::read_to_string(out.run_dir().join("index.html")).unwrap();
    assert!(html.contains("Billed cost by owner tag") && html.contains("no <code>team</code> tag"), "tag costs");
}

/// A local HTTP endpoint that answers `503 SlowDown` (S3's throttling answer) `failures` times, then an empty
/// bucket listing. Serves exactly `connections` requests (one per connection), then stops; returns how many it saw.
fn throttling_endpoint(failures: usize, connections: usize) -> (String, std::thread::JoinHandle<usize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = 0;
        // Bounded: stops after `connections` requests or 30 s without one.
        listener.set_nonblocking(true).unwrap();
        let mut deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while seen < connections && std::time::Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(_) => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                }
            };
            deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            stream.set_nonblocking(false).unwrap();
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen += 1;
            let (status, xml) = if seen <= failures {
                (
                    "503 Slow Down",
                    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                )
            } else {
                (
                    "200 OK",
                    "<ListBucketResult><Name>b</Name><Prefix>cur/</Prefix><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
        seen
    });
    (url, handle)
}

#[test]
fn throttling_is_retried_with_bounded_attempts() {
    let dir = tempfile::tempdir().unwrap();
    // Runs `collect` against a throttling endpoint; returns what the endpoint saw and the tool's stderr.
    let collect = |failures: usize, connections: usize, record: &str| -> (usize, String) {
        let (url, server) = throttling_endpoint(failures, connections);
        let source = format!("{}region = \"eu-west-1\"\n", s3_export("cur", "b", "cur/", &url));
        let config = write_config(dir.path(), &source);
        let rec = dir.path().join(record);
        let out = std::process::Command::new(crate::support::BIN)
            .args(["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        (server.join().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // Two throttled answers, then an answer: the listing goes through on the third attempt. It was empty, so the
    // source fails for finding no file, not for throttling.
    let (seen, stderr) = collect(2, 3, "rec");
    assert_eq!(seen, 3, "{stderr}");
    assert!(stderr.contains("no export file found"), "{stderr}");
    // Throttled for ever: four attempts (the configured maximum), then the source fails and says why.
    let (seen, stderr) = collect(4, 4, "rec2");
    assert_eq!(seen, 4, "{stderr}");
    assert!(stderr.contains("SlowDown"), "{stderr}");
}

/// A moto_server of its own on a free loopback port, serving HTTPS with the given certificate; killed on drop.
struct TlsMoto {
    child: std::process::Child,
    port: u16,
}

impl TlsMoto {
    fn start(server: &str, cert: &Path, key: &Path) -> TlsMoto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string(), "-c"])
            .arg(cert)
            .arg("-k")
            .arg(key)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let moto = TlsMoto { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the TLS moto_server did not listen within 30 s");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for TlsMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `openssl` in `dir` with whitespace-separated arguments.
fn openssl(dir: &Path, args: &str) {
    let out = std::process::Command::new("openssl").args(args.split_whitespace()).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The AWS clients speak TLS (rustls with the ring provider) and verify the server's certificate against the
/// system's roots, which `SSL_CERT_FILE` names here. moto serves HTTPS with a certificate for 127.0.0.1 issued by a
/// test CA: trusting that CA, the run gets S3's own answer (no such bucket); trusting another CA, it fails on the
/// certificate and says so. Neither case reads as "no cost".
#[test]
fn aws_calls_go_over_tls_and_verify_the_certificate() {
    let Some(_) = endpoint() else { return };
    let server = std::env::var("KAFKA_FINOPS_MOTO_SERVER").expect("KAFKA_FINOPS_MOTO_SERVER (from ci/moto.sh env)");
    let tls = tempfile::tempdir().unwrap();
    let d = tls.path();
    for ca in ["ca", "other-ca"] {
        openssl(
            d,
            &format!(
                "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kafka-finops-test-{ca} -keyout {ca}.key -out {ca}.pem"
            ),
        );
    }
    std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(d, "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr");
    openssl(
        d,
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.cnf -out server.pem",
    );
    let moto = TlsMoto::start(&server, &d.join("server.pem"), &d.join("server.key"));
    let https = format!("https://127.0.0.1:{}", moto.port);
    let bucket = unique("tls");
    let dir = with_demo(&s3_export("tls", &bucket, "e/", &https));
    let ca = d.join("ca.pem");
    let other_ca = d.join("other-ca.pem");
    let empty = tempfile::tempdir().unwrap();
    let trusting = |file: &Path| {
        let env = [("SSL_CERT_FILE", file.to_str().unwrap()), ("SSL_CERT_DIR", empty.path().to_str().unwrap())];
        let out = run_demo(dir.path(), &[], &env);
        assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
        model_text(&out)
    };

    let answered = trusting(&ca);
    assert!(answered.contains("NoSuchBucket"), "{answered}");
    assert!(!answered.to_lowercase().contains("certificate"), "{answered}");

    let refused = trusting(&other_ca);
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
    assert!(!refused.contains("NoSuchBucket"), "{refused}");
}

/// A moto server of a test's own, stopped (by its PID) when dropped.
struct OwnMoto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `moto_server` on a free port of 127.0.0.1 with `env`, and waits (at most 30 s) until it answers.
fn own_moto(server: &str, env: &[(&str, &str)]) -> OwnMoto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let moto = OwnMoto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "moto_server did not answer on {port} within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    moto
}

/// Cross-account: an AWS source assumes the role it names (`role_arn`) with the default chain's credentials as the
/// base. A moto server of this test's own enforces IAM (INITIAL_NO_AUTH_ACTION_COUNT; the shared one stays open for
/// the other tests): the user allowed `sts:AssumeRole` on the role reads the payer account's export through it; a
/// user without that permission fails the source, naming the role, and the run still reports (exit 1).
#[test]
fn a_source_assumes_its_role_and_a_role_it_may_not_assume_fails_the_source_naming_it() {
    let (Ok(server), Ok(python)) = (std::env::var("KAFKA_FINOPS_MOTO_SERVER"), std::env::var("KAFKA_FINOPS_PYTHON"))
    else {
        crate::support::service_missing("KAFKA_FINOPS_REQUIRE_AWS", "AWS emulator (moto_server and its python)");
        return;
    };
    // The setup makes exactly 9 calls (tests/it/sts/setup.py); every call after them is authenticated and authorized.
    let moto = own_moto(&server, &[("INITIAL_NO_AUTH_ACTION_COUNT", "9")]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/sts/setup.py");
    let setup = std::process::Command::new(&python).arg(&script).arg(&moto.endpoint).output().unwrap();
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    let seeded: serde_json::Value = serde_json::from_slice(&setup.stdout).unwrap();
    let role = seeded["role"].as_str().unwrap();
    assert_eq!(role, "arn:aws:iam::123456789012:role/billing-reader");

    let source = format!(
        "{}role_arn = \"{role}\"\nrole_session_name = \"kafka-finops-test\"\nregion = \"us-east-1\"\n",
        s3_export("payer", seeded["bucket"].as_str().unwrap(), "cur/", &moto.endpoint)
    );
    let as_user = |user: &str| {
        let (id, secret) = (seeded[user]["id"].as_str().unwrap(), seeded[user]["secret"].as_str().unwrap());
        let dir = with_demo(&source);
        let out = run_demo(dir.path(), &[], &[("AWS_ACCESS_KEY_ID", id), ("AWS_SECRET_ACCESS_KEY", secret)]);
        (dir, out)
    };

    let (_dir, out) = as_user("allowed");
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model: serde_json::Value = serde_json::from_str(&model_text(&out)).unwrap();
    let payer = model["sources"].as_array().unwrap().iter().find(|s| s["name"] == "payer").unwrap();
    assert_eq!(payer["status"], "complete", "{payer}");
    assert!(payer["detail"].as_str().unwrap().contains("1 file(s), 1 line items"), "{payer}");

    let (_dir, out) = as_user("denied");
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model: serde_json::Value = serde_json::from_str(&model_text(&out)).unwrap();
    let payer = model["sources"].as_array().unwrap().iter().find(|s| s["name"] == "payer").unwrap();
    assert_eq!(payer["status"], "failed", "{payer}");
    let detail = payer["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("assuming role `{role}`")), "{detail}");
    assert!(detail.contains("the base credentials need `sts:AssumeRole` on it"), "{detail}");
    // moto answers this refusal as <ErrorResponse><Errors><Error> (EC2's shape), which the SDK's STS parser does
    // not read, so its code does not reach the detail here; AWS's own STS answers in the shape the SDK reads.
}

/// A Cost Explorer answer whose group lacks an amount, or carries one that is not a number, fails the source naming
/// the day, the group and the metric: it never becomes a $0 line. Amounts in scientific notation are read.
#[test]
fn a_cost_explorer_group_without_a_readable_amount_fails_the_source_never_reads_as_zero() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let source = |days: u32| {
        format!(
            "[[sources]]\nname = \"ce\"\nkind = \"cost-explorer\"\nendpoint_url = \"{endpoint}\"\nend_date = \"2025-04-16\"\ndays = {days}\nrestatement_days = 0\ncache_dir = \"cache\"\n"
        )
    };
    // The real days of kcp's state file: group 2 of each is MSK storage (USE1-Kafka.Storage.GP2, $1.9999999992).
    let seeded = |edit: &dyn Fn(&mut serde_json::Value)| {
        moto_api(&endpoint, "/moto-api/reset", "");
        let mut days = kcp_results_by_time();
        edit(&mut days[1]["Groups"][2]["Metrics"]);
        let seed = serde_json::json!({"results": [{"ResultsByTime": days, "DimensionValueAttributes": []}]});
        moto_api(&endpoint, "/moto-api/static/ce/cost-and-usage-results", &seed.to_string());
    };
    type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);
    let broken: [(&str, Edit, &str); 3] = [
        ("no amount", &|m| drop(m.as_object_mut().unwrap().remove("UnblendedCost")), "no UnblendedCost amount"),
        ("not a number", &|m| m["AmortizedCost"]["Amount"] = "n/a".into(), "AmortizedCost `n/a` is not a decimal"),
        ("no currency", &|m| drop(m["UnblendedCost"].as_object_mut().unwrap().remove("Unit")), "no UnblendedCost unit"),
    ];
    for (case, edit, problem) in broken {
        seeded(edit);
        let dir = with_demo(&source(3));
        let out = run_demo(dir.path(), &[], &[]);
        assert_eq!(out.code, 1, "{case}: stdout: {}\nstderr: {}", out.stdout, out.stderr);
        let model = model_text(&out);
        let needle = format!(
            "GetCostAndUsage 2025-04-13 to 2025-04-16: 2025-04-14, Amazon Managed Streaming for Apache Kafka / \
             USE1-Kafka.Storage.GP2: {problem}"
        );
        assert!(model.contains(&needle), "{case}: {needle} missing from {model}");
    }

    // 2.5E-9 is 0.0000000025: read, not refused, and not rounded to 0.
    seeded(&|m| m["UnblendedCost"]["Amount"] = "2.5E-9".into());
    let dir = with_demo(&source(3));
    let out = run_demo(dir.path(), &["--record", "rec"], &[]);
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let (h, rows) = read_csv(&dir.path().join("rec/cost_lines.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let msk_day2: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[col("date")] == "2025-04-14" && r[col("usage_type")] == "USE1-Kafka.Storage.GP2")
        .collect();
    assert_eq!(msk_day2.len(), 1, "{rows:?}");
    assert_eq!(msk_day2[0][col("amount")].parse::<Decimal>().unwrap(), Decimal::new(25, 10));
}

/// moto's Athena (`/moto-api/static/athena/query-results`): each started query takes the next queued answer, and
/// moto writes it as `<id>.csv` to the output location, as Athena does. A row is a list of values; `None` is a
/// null (no `VarCharValue`), which moto writes as an empty field.
fn queue_athena_answers(endpoint: &str, answers: &[Vec<Vec<Option<&str>>>]) {
    let results: Vec<serde_json::Value> = answers
        .iter()
        .map(|rows| {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|row| {
                    let data: Vec<serde_json::Value> = row
                        .iter()
                        .map(|v| v.map_or(serde_json::json!({}), |v| serde_json::json!({ "VarCharValue": v })))
                        .collect();
                    serde_json::json!({ "Data": data })
                })
                .collect();
            serde_json::json!({ "rows": rows, "column_info": [] })
        })
        .collect();
    let body = serde_json::json!({ "account_id": "123456789012", "region": "us-east-1", "results": results });
    moto_api(endpoint, "/moto-api/static/athena/query-results", &body.to_string());
}

/// The columns answer of a CUR 2.0 Data Export table: the required line-item columns, its line type, the tag MAP
/// and the `billing_period` partition.
fn cur2_columns() -> Vec<Vec<Option<&'static str>>> {
    let mut rows = vec![vec![Some("column_name"), Some("data_type")]];
    for c in kafka_finops::collect::aws::cur::REQUIRED {
        let t = match c {
            "line_item_usage_start_date" => "timestamp(3)",
            "line_item_usage_amount" | "line_item_unblended_cost" => "double",
            _ => "varchar",
        };
        rows.push(vec![Some(c), Some(t)]);
    }
    rows.push(vec![Some("line_item_line_item_type"), Some("varchar")]);
    rows.push(vec![Some("resource_tags"), Some("map(varchar, varchar)")]);
    rows.push(vec![Some("billing_period"), Some("varchar")]);
    rows
}

fn athena_source(endpoint: &str, results: &str) -> String {
    format!(
        r#"[[sources]]
name = "payer"
kind = "athena"
region = "us-east-1"
endpoint_url = "{endpoint}"
database = "cur"
table = "acme"
output_location = "s3://{results}/kafka-finops/"
billing_periods = ["2026-11"]
owner_tag_keys = ["team"]
"#
    )
}

/// The API flow against moto: two queries (the table's columns, then the rollup), each answer read from the CSV
/// Athena writes to the output location. The answer's figures are hand-written; the checks are that they arrive as
/// cost lines unchanged (a null operation stays null, an empty resource id stays empty), that the rollup moto
/// received prunes to the window's partition and reads the tag from the MAP, and that the run records both query
/// ids with their scans priced: moto scans 0 bytes, billed as Athena's 10 MB minimum, 10 × 2^20 / 2^40 TB × $5.00
/// = $0.0000476837 each, $0.000048 to the millionth (hand-derived).
#[test]
fn an_athena_source_runs_the_rollup_reads_its_answer_from_s3_and_records_each_query() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let results = unique("athena-results");
    put(&endpoint, &results, &[]);
    let header = [
        "day",
        "account_id",
        "service",
        "usage_type",
        "operation",
        "resource_id",
        "usage_unit",
        "currency",
        "tag_0",
        "nulls",
        "usage_quantity",
        "amount",
        "amortized",
        "lines",
        "amount_missing",
        "inferred",
    ];
    let rollup: Vec<Vec<Option<&str>>> = vec![
        header.iter().map(|h| Some(*h)).collect(),
        [
            "2026-11-02",
            "111111111111",
            "AmazonMSK",
            "USE1-Kafka.m5.large",
            "RunBroker",
            "arn:aws:kafka:c/prod",
            "Hrs",
            "USD",
            "payments",
            "00000000",
            "72.0000000000",
            "15.1200000000",
            "15.1200000000",
            "72",
            "0",
            "0",
        ]
        .iter()
        .map(|v| Some(*v))
        .collect(),
        vec![
            Some("2026-11-02"),
            Some("111111111111"),
            Some("AmazonEC2"),
            Some("USE1-DataTransfer-Regional-Bytes"),
            None,
            Some(""),
            Some("GB"),
            Some("USD"),
            None,
            Some("00010001"),
            Some("10"),
            Some("0.1"),
            Some("0.1"),
            Some("5"),
            Some("0"),
            Some("0"),
        ],
    ];
    queue_athena_answers(&endpoint, &[cur2_columns(), rollup]);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &athena_source(&endpoint, &results));
    let rec = dir.path().join("rec");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", rec.to_str().unwrap()], dir.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);

    let (h, rows) = read_csv(&rec.join("cost_lines.csv"));
    let view: Vec<(&str, &str, &str, &str, &str)> = column(&h, &rows, "service")
        .into_iter()
        .zip(column(&h, &rows, "operation"))
        .zip(column(&h, &rows, "resource_id"))
        .zip(column(&h, &rows, "tags"))
        .zip(column(&h, &rows, "amount"))
        .map(|((((s, o), r), t), a)| (s, o, r, t, a))
        .collect();
    assert_eq!(
        view,
        vec![
            ("AmazonEC2", "", "", "{}", "0.1"),
            ("AmazonMSK", "RunBroker", "arn:aws:kafka:c/prod", r#"{"team":"payments"}"#, "15.12"),
        ]
    );
    assert_eq!(column(&h, &rows, "source"), vec!["cur", "cur"]);

    let scenario: toml::Table = toml::from_str(&std::fs::read_to_string(rec.join("scenario.toml")).unwrap()).unwrap();
    let source = &scenario["sources"].as_array().unwrap()[0];
    assert_eq!(source["status"].as_str(), Some("complete"), "{source}");
    assert_eq!(source["window"]["first"].as_str(), Some("2026-11-01"));
    let queries = source["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 2);
    for q in queries {
        assert_eq!(q["bytes_scanned"].as_integer(), Some(0));
        assert_eq!(q["cost"]["amount"].as_str(), Some("0.000048"), "{q}");
        assert_eq!(q["cost"]["unit_price"].as_str(), Some("5"), "{q}");
    }

    // What moto was asked: the rollup of the configured table, pruned to November's partition.
    let athena = {
        let conf = aws_sdk_athena::Config::builder()
            .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
            .http_client(kafka_finops::collect::aws::https_client())
            .region(aws_sdk_athena::config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_athena::config::Credentials::new("testing", "testing", None, None, "t"))
            .build();
        aws_sdk_athena::Client::from_conf(conf)
    };
    let id = queries[1]["id"].as_str().unwrap().to_string();
    let sql = runtime().block_on(async {
        let e = athena.get_query_execution().query_execution_id(&id).send().await.unwrap();
        e.query_execution().unwrap().query().unwrap().to_string()
    });
    assert!(sql.contains(r#"FROM "cur"."acme""#), "{sql}");
    assert!(sql.contains(r#""billing_period" IN ('2026-11')"#), "{sql}");
    assert!(sql.contains(r#"element_at("resource_tags", 'user:team') AS tag_0"#), "{sql}");
}

/// A table Athena's catalog does not show fails the source, naming it, and the run exits 1.
#[test]
fn an_athena_table_that_is_not_there_fails_the_source_naming_it() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let results = unique("athena-results");
    put(&endpoint, &results, &[]);
    queue_athena_answers(&endpoint, &[vec![vec![Some("column_name"), Some("data_type")]]]);
    let dir = with_demo(&athena_source(&endpoint, &results));
    let out = run_demo(dir.path(), &[], &[]);
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model = model_text(&out);
    assert!(model.contains("table `cur.acme` has no columns in information_schema"), "{model}");
}
