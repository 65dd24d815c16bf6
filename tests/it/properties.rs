//! Property tests and byte-level fuzzing (proptest).
//!
//! - Random valid scenarios through the whole model: the owners' costs add up to the clusters' totals, the bill's
//!   split adds up to the bill to the cent, and nothing holds NaN, an infinity or a negative cost.
//! - The scenario CSV reader and the billing-export reader on mutated real files and on raw bytes: they never
//!   panic; they read the input or refuse it with a message naming the file.
//!
//! Cases per property: 64 by default (CI); `PROPTEST_CASES` runs more (the closing notes give a longer run).

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use kafka_finops::collect::scenario::ScenarioSource;
use kafka_finops::collect::{Collected, Source};
use kafka_finops::schema::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

/// Topic name prefixes the demo catalog gives owners, and one it does not (`unowned`).
const PREFIXES: &[&str] = &["payments.", "orders.", "search.", "identity.", "observability.", "scratch-"];
const RACKS: &[&str] = &["use1-az1", "use1-az2", "use1-az4"];

#[derive(Debug, Clone)]
struct TopicSpec {
    prefix: usize,
    partitions: usize,
    rf: usize,
    sizes: Vec<u32>,
    rate: u32,
    groups: Vec<u32>,
    retention_days: u8,
}

fn topic_spec() -> impl Strategy<Value = TopicSpec> {
    (
        0..PREFIXES.len(),
        1usize..6,
        1usize..4,
        0u32..5_000_000,
        proptest::collection::vec(0u32..2_000_000, 0..3),
        1u8..30,
    )
        .prop_flat_map(|(prefix, partitions, rf, rate, groups, retention_days)| {
            proptest::collection::vec(0u32..4_000_000, partitions).prop_map(move |sizes| TopicSpec {
                prefix,
                partitions,
                rf,
                sizes,
                rate,
                groups: groups.clone(),
                retention_days,
            })
        })
}

/// A scenario of one MSK cluster (the demo config's), three brokers in three zones, with the given topics and a few
/// days of billed lines of the given amounts.
fn scenario(topics: &[TopicSpec], amounts: &[u32]) -> Collected {
    let mut c = Collected {
        scenario_name: "prop".into(),
        captured_at: Some(Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()),
        ..Default::default()
    };
    for (i, rack) in RACKS.iter().enumerate() {
        c.brokers.push(Broker {
            cluster: "demo-msk".into(),
            broker_id: i as i64 + 1,
            rack: Some(rack.to_string()),
            host: format!("b-{i}"),
        });
    }
    for (n, t) in topics.iter().enumerate() {
        let name = format!("{}t{n}", PREFIXES[t.prefix]);
        c.topics.push(Topic {
            cluster: "demo-msk".into(),
            topic: name.clone(),
            is_internal: false,
            partitions: t.partitions as i64,
            replication_factor: t.rf as i64,
            retention_ms: Some(i64::from(t.retention_days) * 86_400_000),
            retention_bytes: Some(-1),
            cleanup_policy: Some("delete".into()),
            min_insync_replicas: Some(1),
            segment_bytes: Some(1 << 30),
            segment_ms: Some(604_800_000),
            remote_storage_enable: Some(false),
            local_retention_ms: Some(-2),
            local_retention_bytes: Some(-2),
        });
        for (p, size) in t.sizes.iter().enumerate() {
            let ids: Vec<usize> = (0..t.rf).map(|k| (p + k) % 3).collect();
            c.partitions.push(Partition {
                cluster: "demo-msk".into(),
                topic: name.clone(),
                partition: p as i64,
                leader: Some(ids[0] as i64 + 1),
                replicas: ids.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(";"),
                isr: ids.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(";"),
                replica_racks: ids.iter().map(|i| RACKS[*i]).collect::<Vec<_>>().join(";"),
                size_bytes: Some(i64::from(*size) * 1000),
                earliest_offset: Some(0),
                latest_offset: Some(i64::from(*size)),
            });
            for (g, lag) in t.groups.iter().enumerate() {
                c.consumer_group_offsets.push(ConsumerGroupOffset {
                    cluster: "demo-msk".into(),
                    group_id: format!("{}g{g}", PREFIXES[t.prefix].trim_end_matches('.')),
                    state: "Stable".into(),
                    topic: name.clone(),
                    partition: p as i64,
                    committed_offset: Some(i64::from(*size) - i64::from(*lag).min(i64::from(*size))),
                    lag: Some(i64::from(*lag).min(i64::from(*size))),
                });
            }
        }
        for day in 1..=3 {
            c.metric_points.push(MetricPoint {
                namespace: "AWS/Kafka".into(),
                metric: "BytesInPerSec".into(),
                dimensions: format!("Cluster Name=demo-msk,Topic={name}"),
                timestamp: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
                stat: "Average".into(),
                value: f64::from(t.rate) * f64::from(day) / 2.0,
                unit: "Bytes/Second".into(),
            });
        }
    }
    let arn = "arn:aws:kafka:us-east-1:123456789012:cluster/demo-msk/5a1b2c3d-0000-4000-8000-000000000001";
    for (i, amount) in amounts.iter().enumerate() {
        let (usage_type, unit) = [
            ("USE1-Kafka.m5.2xlarge", "Hrs"),
            ("USE1-Kafka.Storage.GP2", "GB-Mo"),
            ("USE1-DataTransfer-Regional-Bytes", "GB"),
        ][i % 3];
        c.cost_lines.push(CostLine {
            date: NaiveDate::from_ymd_opt(2026, 11, 1 + (i / 3) as u32).unwrap(),
            account_id: "123456789012".into(),
            service: "AWS".into(),
            usage_type: usage_type.into(),
            operation: None,
            resource_id: Some(arn.into()),
            tags: "{}".into(),
            usage_quantity: Some(Decimal::from(*amount) + Decimal::ONE),
            usage_unit: unit.into(),
            amount: Decimal::new(i64::from(*amount), 2),
            amortized_amount: None,
            currency: "USD".into(),
            source: "scenario".into(),
        });
    }
    c
}

fn demo_config() -> kafka_finops::config::Config {
    let mut config =
        kafka_finops::load_config(&kafka_finops::Job::ConfigFile(demo_fixture().join("kafka-finops.toml"))).unwrap();
    config.model.what_ifs.clear(); // they name the demo's topics
    config
}

fn finite_and_not_negative(json: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{path}.{k}");
                // Costs are components' monthly_usd and every *_monthly_usd total.
                if (k == "monthly_usd" || k.ends_with("_monthly_usd"))
                    && let Some(text) = v.as_str()
                    && text.parse::<Decimal>().is_ok_and(|d| d.is_sign_negative() && !d.is_zero())
                {
                    bad.push(format!("{path} = {text}"));
                }
                finite_and_not_negative(v, &path, bad);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                finite_and_not_negative(v, &format!("{path}[{i}]"), bad);
            }
        }
        serde_json::Value::String(s) if s == "NaN" || s.contains("inf") && s.parse::<f64>().is_ok() => {
            bad.push(format!("{path} = {s}"))
        }
        _ => {}
    }
}

#[test]
fn random_scenarios_add_up_and_hold_no_nan_or_negative_cost() {
    let config = demo_config();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
    let strategy = (proptest::collection::vec(topic_spec(), 1..7), proptest::collection::vec(0u32..500_000, 0..12));
    runner
        .run(&strategy, |(topics, amounts)| {
            let collected = scenario(&topics, &amounts);
            let model =
                kafka_finops::build_model(&config, &collected, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // The owners' costs add up to the cluster's, scenario by scenario.
            let cluster = &model.clusters[0];
            // Unknown (None) on both sides when any topic misses a part: never a sum of the known part.
            let owners = |f: fn(&kafka_finops::report_model::OwnerSummary) -> Option<Decimal>| -> Option<Decimal> {
                model.owners.iter().map(f).sum()
            };
            let t = &model.totals;
            for (by_owner, total, of_cluster) in [
                (owners(|o| o.broker_local_monthly_usd), t.broker_local_monthly_usd, &cluster.broker_local),
                (owners(|o| o.shared_storage_monthly_usd), t.shared_storage_monthly_usd, &cluster.shared_storage),
                (owners(|o| o.tiered_storage_monthly_usd), t.tiered_storage_monthly_usd, &cluster.tiered_storage),
            ] {
                prop_assert_eq!(by_owner, of_cluster.known_usd());
                prop_assert_eq!(total, of_cluster.known_usd());
            }
            // The bill's split adds up to the bill, to the cent, per class.
            for (class, billed) in cluster.billed.iter().fold(std::collections::BTreeMap::new(), |mut m, l| {
                *m.entry(l.cost_class.clone()).or_insert(Decimal::ZERO) += l.amount_usd;
                m
            }) {
                let split: Decimal =
                    model.reconciliation.iter().filter(|r| r.cost_class == class).map(|r| r.billed_usd).sum();
                prop_assert_eq!(split, billed.round_dp(2), "{}", class);
            }
            // No NaN, infinity or negative cost anywhere in model.json.
            let json = serde_json::to_value(&model).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut bad = Vec::new();
            finite_and_not_negative(&json, "model", &mut bad);
            prop_assert!(bad.is_empty(), "{:?}", bad);
            let text = serde_json::to_string(&model).unwrap();
            prop_assert!(!text.contains("NaN") && !text.contains("Infinity"));
            Ok(())
        })
        .unwrap();
}

/// Applies byte edits (position, kind, byte) to `text`: 0 replaces, 1 inserts, 2 deletes.
fn mutate(text: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = text.to_vec();
    for (pos, kind, byte) in edits {
        if out.is_empty() {
            out.push(*byte);
            continue;
        }
        let at = pos % out.len();
        match kind % 3 {
            0 => out[at] = *byte,
            1 => out.insert(at, *byte),
            _ => {
                out.remove(at);
            }
        }
    }
    out
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)
}

/// The scenario reader (then validate and normalize) on a demo copy whose `file` holds `bytes`: never a panic; a
/// refusal names the file.
fn read_scenario(dir: &Path, file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(dir.join(file), bytes).unwrap();
    let source =
        ScenarioSource { name: "fuzz".into(), files: kafka_finops::files::InputFiles::Disk(dir.to_path_buf()) };
    let mut collected = Collected::default();
    match source.collect(&mut collected) {
        Ok(()) => {
            let _ = kafka_finops::validate::check(&collected);
            let _ = kafka_finops::normalize::normalize(&collected);
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.contains(file) || message.contains("scenario.toml"), "{}", message);
        }
    }
    Ok(())
}

#[test]
fn the_scenario_reader_refuses_mutated_and_random_bytes_without_panicking() {
    let fixture = demo_copy();
    let files = ["partitions.csv", "topics.csv", "cost_lines.csv", "metric_points.csv", "consumer_group_offsets.csv"];
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(fixture.path().join(f)).unwrap()).collect();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
    runner
        .run(&(0..files.len(), edits()), |(which, edits)| {
            let result = read_scenario(fixture.path(), files[which], &mutate(&originals[which], &edits));
            std::fs::write(fixture.path().join(files[which]), &originals[which]).unwrap();
            result
        })
        .unwrap();
    runner
        .run(&(0..files.len(), proptest::collection::vec(any::<u8>(), 0..400)), |(which, bytes)| {
            let result = read_scenario(fixture.path(), files[which], &bytes);
            std::fs::write(fixture.path().join(files[which]), &originals[which]).unwrap();
            result
        })
        .unwrap();
}

#[test]
fn the_billing_export_reader_refuses_mutated_and_random_bytes_without_panicking() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public/focus-1.0_sample_1000.csv");
    let text = std::fs::read_to_string(&sample).unwrap();
    // The header and 15 real lines: small enough to read hundreds of times, real enough to reach the mapping.
    let seed: String = text.lines().take(16).map(|l| format!("{l}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    let read = |bytes: &[u8]| -> Result<(), TestCaseError> {
        std::fs::write(&path, bytes).unwrap();
        let file = kafka_finops::collect::aws::exports::ExportFile { path: path.clone(), display: "export.csv".into() };
        if let Err(e) = kafka_finops::collect::aws::exports::read_exports(&[file], None, &[], "fuzz") {
            prop_assert!(e.file.contains("export.csv"), "{}", e);
        }
        Ok(())
    };
    // The seed itself reads.
    let file = kafka_finops::collect::aws::exports::ExportFile { path: path.clone(), display: "export.csv".into() };
    std::fs::write(&path, &seed).unwrap();
    let (lines, _) = kafka_finops::collect::aws::exports::read_exports(&[file], None, &[], "fuzz").unwrap();
    assert!(!lines.is_empty());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
    runner.run(&edits(), |edits| read(&mutate(seed.as_bytes(), &edits))).unwrap();
    runner.run(&proptest::collection::vec(any::<u8>(), 0..600), |bytes| read(&bytes)).unwrap();
}
