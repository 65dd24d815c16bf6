//! The placement model end to end: what-if scenarios against full runs, prices a region lacks, bad what-ifs.

use std::path::Path;

use kafka_finops::model::choice::Scenario;
use kafka_finops::prices::Basis;
use kafka_finops::report_model::{ActionKind, ReadBasis, ReportModel};
use rust_decimal::Decimal;

use crate::support::*;

fn model_of(fixture: &Path) -> ReportModel {
    let work = tempfile::tempdir().unwrap();
    let config = fixture.join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    read_model(&work.path().join(out.run_dir()))
}

/// Today's cost of a topic: its current placement's breakdown.
fn current_cost(model: &ReportModel, topic: &str) -> Decimal {
    model.topics.iter().find(|t| t.topic == topic).unwrap().current_cost().monthly_usd
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

/// Rewrites one topic's rows of a scenario CSV: `f(header, row)` edits the row in place.
fn edit_rows(path: &Path, topic: &str, f: impl Fn(&[String], &mut Vec<String>)) {
    let (header, rows) = read_csv(path);
    let topic_at = header.iter().position(|h| h == "topic").unwrap();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&header).unwrap();
    for mut row in rows {
        if row[topic_at] == topic {
            f(&header, &mut row);
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

fn set(header: &[String], row: &mut [String], column: &str, value: String) {
    let i = header.iter().position(|h| h == column).unwrap();
    row[i] = value;
}

#[test]
fn what_if_deltas_equal_the_difference_of_two_full_runs() {
    // Run A: the demo with two what-ifs. Run B: the demo with those changes made in the data itself.
    let a = demo_copy();
    append(
        &a.path().join("kafka-finops.toml"),
        r#"
[[what_if]]
name = "payments.transactions at RF 2"
topics = ["payments.transactions"]
replication_factor = 2

[[what_if]]
name = "orders.events kept 14 days"
topics = ["orders.events"]
retention_hours = 336
"#,
    );
    let with_what_ifs = model_of(a.path());

    let b = demo_copy();
    edit_rows(&b.path().join("topics.csv"), "payments.transactions", |h, row| {
        set(h, row, "replication_factor", "2".into())
    });
    edit_rows(&b.path().join("topics.csv"), "orders.events", |h, row| {
        set(h, row, "retention_ms", (14 * 86_400_000_i64).to_string())
    });
    // 14 days at the same write rate: each partition holds what Kafka keeps at steady state, r_p × (14 d + T_p / 2)
    // with T_p = min(segment.ms 7 d, segment.bytes 1 GiB ÷ r_p) (docs/cost-model.md, "Retention as Kafka applies
    // it"), r_p being the topic's mean BytesInPerSec × the partition's share of today's bytes.
    let rate = mean_rate(&b.path().join("metric_points.csv"), "orders.events");
    let (header, rows) = read_csv(&b.path().join("partitions.csv"));
    let sizes: Vec<f64> = rows
        .iter()
        .filter(|r| r[1] == "orders.events")
        .map(|r| r[header.iter().position(|c| c == "size_bytes").unwrap()].parse().unwrap())
        .collect();
    let total: f64 = sizes.iter().sum();
    let steady = std::cell::RefCell::new(sizes.into_iter().map(move |size| {
        let r_p = rate * size / total;
        let roll_s = (7.0 * 86_400.0_f64).min(1_073_741_824.0 / r_p);
        (r_p * (14.0 * 86_400.0 + roll_s / 2.0)).round() as i64
    }));
    edit_rows(&b.path().join("partitions.csv"), "orders.events", |h, row| {
        let i = h.iter().position(|c| c == "size_bytes").unwrap();
        row[i] = steady.borrow_mut().next().unwrap().to_string();
    });
    let changed = model_of(b.path());

    // The demo config has what-ifs of its own; ours come after them.
    let all = &with_what_ifs.what_ifs;
    let what_ifs = &all[all.len() - 2..];
    for (w, topic, owner) in
        [(&what_ifs[0], "payments.transactions", "payments"), (&what_ifs[1], "orders.events", "orders")]
    {
        let t = &w.topics[0];
        assert_eq!(t.topic, topic);
        let full_runs = current_cost(&changed, topic) - current_cost(&with_what_ifs, topic);
        assert!(!full_runs.is_zero(), "{topic}: the change must move the cost");
        assert_eq!(t.delta_usd, full_runs, "{topic}");
        let o = &w.owners[0];
        assert_eq!(o.owner, owner);
        let owner_cost =
            |m: &ReportModel| m.owners.iter().find(|o| o.owner == owner).unwrap().current_monthly_usd.unwrap();
        assert_eq!(o.delta_usd, owner_cost(&changed) - owner_cost(&with_what_ifs), "{owner}");
    }
    // RF 3 → 2 saves a third of the stored bytes; longer retention costs more.
    assert!(what_ifs[0].delta_usd < Decimal::ZERO);
    assert!(what_ifs[1].delta_usd > Decimal::ZERO);
}

#[test]
fn a_what_if_naming_an_unknown_topic_exits_2_naming_it() {
    let fixture = demo_copy();
    append(
        &fixture.path().join("kafka-finops.toml"),
        "\n[[what_if]]\nname = \"typo\"\ntopics = [\"payments.transactionz\"]\nreplication_factor = 2\n",
    );
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("what_if[2].topics") && out.stderr.contains("payments.transactionz"), "{}", out.stderr);
    assert!(entries(work.path()).is_empty(), "nothing written: {:?}", entries(work.path()));
}

#[test]
fn a_region_without_a_price_is_flagged_never_priced_at_zero() {
    // eu-west-1 has no sourced S3 prices in the book and the demo bill has no S3 lines: the shared-storage
    // scenario names the missing prices instead of counting them as $0, and the run says it is partial.
    let fixture = demo_copy();
    edit(&fixture.path().join("kafka-finops.toml"), "region = \"us-east-1\"", "region = \"eu-west-1\"");
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "a missing price is a partial run; stderr: {}", out.stderr);
    // Each missing key is named once, with the line that fills it.
    let fix = "[prices_by_region.eu-west-1] \"s3.standard.storage\" = <USD per GiB-month>";
    assert_eq!(out.stderr.matches(fix).count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("[price-missing]"), "{}", out.stderr);
    // The stdout line says the total is unknown, never the part that could be priced alone.
    assert!(out.stdout.contains("shared storage unknown (at least $"), "{}", out.stdout);
    let dir = work.path().join(out.run_dir());
    let model = read_model(&dir);
    assert!(!model.totals.complete);
    assert_eq!(model.totals.shared_storage_monthly_usd, None);
    assert!(model.totals.current_monthly_usd.is_some(), "today's placement has every price it needs");
    let unknown = model.totals.unknown.iter().find(|u| u.total == "shared_storage").unwrap();
    assert_eq!(unknown.topics.len(), model.topics.len(), "every topic needs S3 storage");
    assert!(model.totals.incomplete_topics > 0);
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("\"outcome\": \"partial\""), "{run_json}");
    // Every owner's and every topic's shared cell is empty (unknown), never a small number.
    for file in ["owners.csv", "topics.csv"] {
        let (header, rows) = read_csv(&dir.join(file));
        let cells = column(&header, &rows, "shared_storage_monthly_usd");
        assert!(cells.iter().all(|c| c.is_empty()), "{file}: {cells:?}");
    }
    for o in &model.owners {
        assert_eq!(o.shared_storage_monthly_usd, None, "{}", o.owner);
    }
    let cluster = &model.clusters[0];
    let keys: Vec<&str> = cluster.prices.iter().map(|p| p.key.as_str()).collect();
    assert!(!keys.contains(&"s3.standard.storage"), "{keys:?}");
    // Bill prices fill what the region's list lacks, and say so.
    let storage = cluster.prices.iter().find(|p| p.key == "msk.storage").unwrap();
    assert_eq!(storage.basis, Basis::Bill);
    let shared = &cluster.shared_storage;
    assert!(shared.missing.iter().any(|m| m.contains("no price `s3.standard.storage`")), "{:?}", shared.missing);
    assert!(shared.components.iter().all(|c| c.price_key != "s3.standard.storage"));
    for t in &model.topics {
        let cheapest = t.choice.as_ref().map(|c| c.cheapest);
        assert_ne!(cheapest, Some(Scenario::SharedStorage), "{}: an incomplete scenario never wins", t.topic);
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("no price `s3.standard.storage`"), "the report names the missing price");
    assert!(html.contains("<strong>Shared storage</strong> is unknown: at least $"), "the card's banner");
}

#[test]
fn topics_without_a_write_rate_leave_their_traffic_unknown_and_internal_topics_need_none() {
    // A self-managed cluster's CloudWatch has broker metrics and no per-topic BytesInPerSec: every rate-driven
    // component is unknown. Here the demo keeps only its broker metrics.
    let fixture = demo_without_topic_metrics();
    // And no offset readings either (a collection with `rate_sample_seconds = 0` and no earlier run).
    std::fs::remove_file(fixture.path().join("offset_samples.csv")).unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("[write-rate-missing]"), "{}", out.stderr);
    assert!(out.stdout.contains("shared storage unknown"), "{}", out.stdout);
    assert!(!out.stdout.contains("shared storage $0.00"), "{}", out.stdout);
    let model = read_model(&work.path().join(out.run_dir()));
    for total in [&model.totals.current_monthly_usd, &model.totals.shared_storage_monthly_usd] {
        assert_eq!(*total, None);
    }
    // The workload topics are the ones named; the internal ones need no rate.
    let unknown = model.totals.unknown.iter().find(|u| u.total == "shared_storage").unwrap();
    let internal: Vec<&str> = model.topics.iter().filter(|t| t.is_internal).map(|t| t.topic.as_str()).collect();
    assert!(!internal.is_empty());
    assert!(internal.iter().all(|t| !unknown.topics.iter().any(|u| u == t)), "{:?}", unknown.topics);
    assert_eq!(unknown.topics.len(), model.topics.len() - internal.len());
    // An owner's write rate is unknown too, never the sum of the rates that are known (none here, so not 0).
    let payments = model.owners.iter().find(|o| o.owner == "payments").unwrap();
    assert_eq!(payments.bytes_in_per_sec, None);
    let (header, rows) = read_csv(&work.path().join(out.run_dir()).join("owners.csv"));
    assert!(column(&header, &rows, "bytes_in_per_sec").iter().any(|c| c.is_empty()), "an empty cell, not 0");
}

#[test]
fn a_cluster_without_per_topic_metrics_takes_its_write_rates_from_its_offsets() {
    // The demo without any per-topic metric, as a self-managed cluster's CloudWatch is: its two log-end readings a
    // minute apart give every topic its write rate, so nothing rate-driven is unknown.
    let fixture = demo_without_topic_metrics();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    assert!(model.totals.complete && model.totals.unknown.is_empty(), "{:?}", model.totals.unknown);
    // payments.transactions, by hand from the fixture's CSVs: its log end read 518,399,936 then 518,400,338 a
    // minute later, 402 ÷ 60 = 6.7 records/s; its 12 partitions hold 21,084,500,743 bytes in Σ(latest − earliest)
    // records (summed below from partitions.csv), so it writes 6.7 × bytes ÷ records.
    let (header, rows) = read_csv(&fixture.path().join("partitions.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (mut bytes, mut records) = (0i64, 0i64);
    for r in rows.iter().filter(|r| r[col("topic")] == "payments.transactions") {
        bytes += r[col("size_bytes")].parse::<i64>().unwrap();
        records += r[col("latest_offset")].parse::<i64>().unwrap() - r[col("earliest_offset")].parse::<i64>().unwrap();
    }
    assert_eq!(bytes, 21_084_500_743);
    let want = 402.0 / 60.0 * bytes as f64 / records as f64;
    let t = model.topics.iter().find(|t| t.topic == "payments.transactions").unwrap();
    assert_eq!(t.write_rate_basis, "offsets within the run");
    let got = t.bytes_in_per_sec.unwrap();
    assert!((got - want).abs() < 0.01, "{got} B/s against {want} B/s by hand");
    assert_eq!(t.offset_bytes_in_per_sec, t.bytes_in_per_sec);
    // The internal topics take no rate from their offsets: their writes are the brokers' own.
    let offsets = model.topics.iter().find(|t| t.topic == "__consumer_offsets").unwrap();
    assert!(offsets.bytes_in_per_sec.is_none() && offsets.write_rate_basis.starts_with("internal"));
}

#[test]
fn the_demo_is_complete_its_internal_topics_priced_by_their_storage() {
    // `__consumer_offsets` and `__amazon_msk_canary` have no write-rate metric and need none: the platform pays for
    // their storage, and their traffic is the brokers' own.
    let model = model_of(&demo_fixture());
    assert!(model.totals.complete);
    assert_eq!(model.totals.incomplete_topics, 0);
    assert!(model.totals.unknown.is_empty(), "{:?}", model.totals.unknown);
    let offsets = model.topics.iter().find(|t| t.topic == "__consumer_offsets").unwrap();
    assert!(offsets.is_internal && offsets.bytes_in_per_sec.is_none());
    assert!(offsets.broker_local.missing.is_empty() && offsets.broker_local.monthly_usd > Decimal::ZERO);
}

#[test]
fn what_if_and_client_rules_naming_unknown_owners_and_bad_overrides_exit_2_each_named() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    edit(&config, "# \"ebs.gp3.storage\" = 0.08", "\"ebs.gp3.storage\" = \"cheap\"");
    let work = tempfile::tempdir().unwrap();
    let out = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("kafka-finops.toml:") && out.stderr.contains("cheap"), "{}", out.stderr);

    edit(&config, "\"ebs.gp3.storage\" = \"cheap\"", "\"ebs.gp3.storage\" = 0.07");
    append(
        &config,
        r#"
[prices_by_region.eu-west-1]
"s3.standard.storage" = -1

[[model.clients]]
owner = "paymnets"
fetch_from_follower = true

[[what_if]]
name = "nobody"
owners = ["nobody"]
fetch_from_follower = true

[[what_if]]
name = "does nothing"
owners = ["payments"]
"#,
    );
    validate_fails_with(
        &config,
        &[
            "`prices_by_region.eu-west-1.s3.standard.storage`: expected a price of 0 or more",
            "`model.clients[1].owner`: unknown owner `paymnets`",
            "`what_if[2].owners`: unknown owner `nobody`",
            "`what_if[3].name`: changes nothing",
        ],
    );
}

#[test]
fn credits_and_refunds_lower_the_bill_never_a_unit_price() {
    // The demo bills MSK storage at $0.10 per GB-month on every line (78.9473684211 for 789.4736842105 GB-Mo a
    // day). A $500 credit (no usage) and a $1 refund of 10 GB-Mo are added to the same usage type.
    let plain = model_of(demo_copy().path());
    let credited = demo_copy();
    let storage_line = std::fs::read_to_string(credited.path().join("cost_lines.csv"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("2026-11-01,") && l.contains("USE1-Kafka.Storage.GP2"))
        .unwrap()
        .to_string();
    let credit = storage_line.replace(",789.4736842105,GB-Mo,78.9473684211,78.9473684211,", ",0,GB-Mo,-500,-500,");
    let refund = storage_line.replace(",789.4736842105,GB-Mo,78.9473684211,78.9473684211,", ",-10,GB-Mo,-1,-1,");
    assert!(credit != storage_line && refund != storage_line);
    append(&credited.path().join("cost_lines.csv"), &format!("{credit}\n{refund}\n"));
    let work = tempfile::tempdir().unwrap();
    let config = credited.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let html = std::fs::read_to_string(work.path().join(out.run_dir()).join("index.html")).unwrap();
    assert!(html.contains("(credits -$501.00 included)"), "the report shows the credits beside the amount");
    let credited = read_model(&work.path().join(out.run_dir()));

    let price = |m: &ReportModel| {
        m.clusters[0].prices.iter().find(|p| p.key == "msk.storage").map(|p| (p.usd, p.basis)).unwrap()
    };
    assert_eq!(price(&plain), (Decimal::new(1, 1), Basis::Bill), "by hand: $0.10 per GB-month");
    assert_eq!(price(&credited), price(&plain), "the credit and the refund leave the unit price alone");

    let storage = |m: &ReportModel| {
        m.clusters[0].billed.iter().find(|l| l.usage_type == "USE1-Kafka.Storage.GP2").unwrap().clone()
    };
    let (before, after) = (storage(&plain), storage(&credited));
    assert_eq!(before.credits_usd, Decimal::ZERO);
    assert_eq!(after.credits_usd, Decimal::from(-501), "shown");
    assert_eq!(after.amount_usd, before.amount_usd - Decimal::from(501), "and in the bill");
    assert_eq!(after.charged_quantity, before.charged_quantity);
    assert_eq!(after.unit_price_usd, before.unit_price_usd);
    // Allocated: the owners' share of MSK storage adds up to the net bill.
    let allocated: Decimal =
        credited.reconciliation.iter().filter(|r| r.cost_class == "msk_storage").map(|r| r.billed_usd).sum();
    let billed: Decimal =
        credited.clusters[0].billed.iter().filter(|l| l.cost_class == "msk_storage").map(|l| l.amount_usd).sum();
    assert_eq!(allocated, billed.round_dp(2));
}

/// Moves every leader of `topic` to its replica in `zone` (each partition has one there in the demo: RF 3 over
/// three zones).
fn lead_from(partitions: &Path, topic: &str, zone: &str) {
    edit_rows(partitions, topic, |header, row| {
        let get = |c: &str| row[header.iter().position(|h| h == c).unwrap()].clone();
        let (mut replicas, mut racks): (Vec<String>, Vec<String>) = (
            get("replicas").split(';').map(String::from).collect(),
            get("replica_racks").split(';').map(String::from).collect(),
        );
        let at = racks.iter().position(|r| r == zone).unwrap();
        replicas.rotate_left(at);
        racks.rotate_left(at);
        set(header, row, "leader", replicas[0].clone());
        set(header, row, "replicas", replicas.join(";"));
        set(header, row, "isr", replicas.join(";"));
        set(header, row, "replica_racks", racks.join(";"));
    });
}

fn component(model: &ReportModel, topic: &str, name: &str) -> Decimal {
    let t = model.topics.iter().find(|t| t.topic == topic).unwrap();
    t.broker_local.components.iter().find(|c| c.name == name).map(|c| c.quantity).unwrap()
}

/// A topic's mean of one per-topic metric over a scenario's metric points.
fn mean_metric(points: &Path, topic: &str, metric: &str) -> f64 {
    let (header, rows) = read_csv(points);
    let (dims, metrics, values) =
        (column(&header, &rows, "dimensions"), column(&header, &rows, "metric"), column(&header, &rows, "value"));
    let v: Vec<f64> = (0..rows.len())
        .filter(|&i| metrics[i] == metric && dims[i].ends_with(&format!("Topic={topic}")))
        .map(|i| values[i].parse::<f64>().unwrap())
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// A topic's mean BytesInPerSec.
fn mean_rate(points: &Path, topic: &str) -> f64 {
    mean_metric(points, topic, "BytesInPerSec")
}

/// A topic's mean BytesOutPerSec ÷ mean BytesInPerSec, to 6 places: the copies of what is written its readers read.
fn measured_copies(points: &Path, topic: &str) -> Decimal {
    let copies = mean_metric(points, topic, "BytesOutPerSec") / mean_rate(points, topic);
    Decimal::try_from(copies).unwrap().round_dp(6)
}

#[test]
fn crossing_shares_follow_where_leaders_and_clients_are() {
    // payments.transactions: every leader moved to use1-az1. Producers (rule for the owner, no group) run 3:1 in
    // use1-az1 and use1-az2; its three consumer groups run in use1-az3, where the demo has no broker.
    let fixture = demo_copy();
    lead_from(&fixture.path().join("partitions.csv"), "payments.transactions", "use1-az1");
    append(
        &fixture.path().join("kafka-finops.toml"),
        r#"
[[model.clients]]
group = "payments-*"
zones = ["use1-az3"]

[[model.clients]]
owner = "payments"
zones = ["use1-az1", "use1-az2"]
weights = [3, 1]
"#,
    );
    // First match wins: the group rule comes first, or the owner's rule (no `group`: all its groups too) would
    // place the groups.
    let model = model_of(fixture.path());
    let t = model.topics.iter().find(|t| t.topic == "payments.transactions").unwrap();
    // Hand derivation. Every partition is led from use1-az1: a producer in use1-az1 (¾) stays, one in use1-az2 (¼)
    // crosses: share ¼. The groups are in a zone without brokers: every read crosses, share 1.
    assert_eq!(t.produce_crossing_share, Some(Decimal::new(25, 2)));
    let groups: Vec<_> = model.consumer_groups.iter().filter(|g| g.topic == "payments.transactions").collect();
    assert_eq!(groups.len(), 3);
    for g in &groups {
        assert_eq!(g.crossing_share, Some(Decimal::ONE), "{}", g.group_id);
        assert_eq!(g.zones_source, Some(kafka_finops::model::zones::ZoneSource::Configured));
        assert_eq!(g.client_zones.as_deref(), Some("use1-az3 100.0% (no broker)"));
    }
    // Written per month: the topic's measured rate × 3,600 s × 730 h, in GiB (2^30 bytes).
    let rate = Decimal::try_from(t.bytes_in_per_sec.unwrap()).unwrap();
    let written_gib = rate * Decimal::from(3600 * 730) / Decimal::from(1u64 << 30);
    let six = |d: Decimal| d.round_dp(6);
    assert_eq!(component(&model, "payments.transactions", "inter_az_produce"), six(written_gib / Decimal::from(4)));
    // The three groups read what the topic's BytesOutPerSec measured: the window's mean out ÷ mean in copies of
    // what is written (about 2.99), every byte of it across a zone.
    let copies = measured_copies(&fixture.path().join("metric_points.csv"), "payments.transactions");
    let read_gib = written_gib * copies;
    assert_eq!(component(&model, "payments.transactions", "inter_az_consume"), six(read_gib));
    // Shared storage routes by zone: the producers both have a broker in their zone; the groups do not.
    let shared = &t.shared_storage.components;
    assert!(shared.iter().all(|c| c.name != "inter_az_produce"), "{shared:?}");
    let consume = shared.iter().find(|c| c.name == "inter_az_consume").unwrap();
    assert_eq!(consume.quantity, six(read_gib));
}

#[test]
fn client_zone_rules_that_cannot_be_read_exit_2_each_named() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    append(
        &config,
        r#"
[[model.clients]]
group = "a-*"
zones = ["use1-az1", "use1-az1"]

[[model.clients]]
group = "b-*"
zones = ["use1-az1", "use1-az2"]
weights = [1]

[[model.clients]]
group = "c-*"
zones = 2
weights = [1, 2]

[[model.clients]]
group = "d-*"
zones = ["use1-az1"]
weights = [0]

[[model.clients]]
group = "e-*"
zones = 9
"#,
    );
    validate_fails_with(
        &config,
        &[
            "expected distinct, non-empty zone names (broker racks), found `use1-az1`",
            "expected 2 weights, one per zone, found 1",
            "`weights` needs named `zones` (a list of racks), not a count",
            "expected positive weights",
            "expected a zone count from 1 to 6, found 9",
        ],
    );
}

#[test]
fn members_client_racks_place_their_group_unless_a_rule_does() {
    // payments.transactions, every leader moved to use1-az1. Members, as a cluster reports them:
    // - payments-fraud-scorer: two in use1-az1, one in use1-az4: measured, ⅔ and ⅓;
    // - payments-ledger-writer: one in use1-az2 and one without a rack: not measured, so the default (evenly);
    // - search-ranking-trainer: both in use1-az1, but the demo's `search-*` rule (`zones = 2`) overrides them.
    let fixture = demo_copy();
    lead_from(&fixture.path().join("partitions.csv"), "payments.transactions", "use1-az1");
    std::fs::write(
        fixture.path().join("consumer_group_members.csv"),
        "cluster,group_id,member_id,group_instance_id,client_id,client_host,rack\n\
         demo-msk,payments-fraud-scorer,m1,,fraud,/10.0.1.1,use1-az1\n\
         demo-msk,payments-fraud-scorer,m2,,fraud,/10.0.1.2,use1-az1\n\
         demo-msk,payments-fraud-scorer,m3,,fraud,/10.0.4.3,use1-az4\n\
         demo-msk,payments-ledger-writer,m1,,ledger,/10.0.2.1,use1-az2\n\
         demo-msk,payments-ledger-writer,m2,,ledger,/10.0.2.2,\n\
         demo-msk,search-ranking-trainer,m1,,ranker,/10.0.1.9,use1-az1\n\
         demo-msk,search-ranking-trainer,m2,,ranker,/10.0.1.8,use1-az1\n",
    )
    .unwrap();
    let model = model_of(fixture.path());
    let group = |id: &str, topic: &str| {
        model.consumer_groups.iter().find(|g| g.group_id == id && g.topic == topic).unwrap_or_else(|| panic!("{id}"))
    };
    use kafka_finops::model::zones::ZoneSource;
    // Every leader in use1-az1: the two members there read locally, the one in use1-az4 crosses: ⅓.
    let fraud = group("payments-fraud-scorer", "payments.transactions");
    assert_eq!(fraud.zones_source, Some(ZoneSource::Measured));
    assert_eq!(fraud.client_zones.as_deref(), Some("use1-az1 66.7%, use1-az4 33.3%"));
    assert_eq!(fraud.crossing_share, Some(Decimal::new(333333, 6)));
    // Evenly over use1-az1, use1-az2, use1-az4 with every leader in use1-az1: ⅔ crosses.
    let ledger = group("payments-ledger-writer", "payments.transactions");
    assert_eq!(ledger.zones_source, Some(ZoneSource::Assumed));
    assert_eq!(ledger.crossing_share, Some(Decimal::new(666667, 6)));
    let ranker = group("search-ranking-trainer", "search.queries");
    assert_eq!(ranker.zones_source, Some(ZoneSource::Configured));
    assert_eq!(ranker.client_zones.as_deref(), Some("2 zone(s), not named"));

    // A recording made before members had a `rack` column still reads: every group is then unmeasured.
    let old = demo_copy();
    std::fs::write(
        old.path().join("consumer_group_members.csv"),
        "cluster,group_id,member_id,group_instance_id,client_id,client_host\n\
         demo-msk,payments-fraud-scorer,m1,,fraud,/10.0.1.1\n",
    )
    .unwrap();
    let model = model_of(old.path());
    let fraud = model.consumer_groups.iter().find(|g| g.group_id == "payments-fraud-scorer").unwrap();
    assert_eq!(fraud.zones_source, Some(ZoneSource::Assumed));
}

#[test]
fn an_unread_topic_is_proposed_for_deletion_with_its_whole_cost_and_not_for_a_migration() {
    // legacy-export-2023: BytesOutPerSec 0 on all 30 days, its one group (`legacy-mirror`) Empty, still written.
    let model = model_of(&demo_fixture());
    let of = |topic: &str| -> Vec<&kafka_finops::report_model::Action> {
        model.actions.iter().filter(|a| a.topic.as_deref() == Some(topic)).collect()
    };
    let legacy = of("legacy-export-2023");
    let retire = legacy.iter().find(|a| a.kind == ActionKind::RetireUnusedTopic).expect("an unused-topic action");
    assert_eq!(retire.monthly_saving_usd, current_cost(&model, "legacy-export-2023").round_dp(2));
    assert!(retire.evidence.contains("no reads at any of 30 read-rate points"), "{}", retire.evidence);
    assert!(retire.evidence.contains("`legacy-mirror` (no members"), "{}", retire.evidence);
    let moves = [ActionKind::MigrateToSharedStorage, ActionKind::MoveToTieredStorage, ActionKind::ShortenRetention];
    assert!(legacy.iter().all(|a| !moves.contains(&a.kind)), "deleting beats moving it: {legacy:?}");
    // A topic that is read is never proposed for deletion.
    assert!(of("payments.transactions").iter().all(|a| a.kind != ActionKind::RetireUnusedTopic));
}

#[test]
fn a_backfill_seen_in_the_reads_keeps_the_retention_it_needed() {
    // On 2026-11-14 a backfill re-read clickstream.events.raw: about 3.5 days of its writes over the usual reads.
    // With the 2× replay margin that needs the 7 days it keeps: no shorter retention is proposed.
    let shorten = |m: &ReportModel| {
        m.actions
            .iter()
            .find(|a| a.kind == ActionKind::ShortenRetention && a.topic.as_deref() == Some("clickstream.events.raw"))
            .cloned()
    };
    assert_eq!(shorten(&model_of(&demo_fixture())), None);
    // Without the backfill day (its reads set to the day before's), the same topic is proposed 7 d → 24 h.
    let fixture = demo_copy();
    let points = fixture.path().join("metric_points.csv");
    let text = std::fs::read_to_string(&points).unwrap();
    let row =
        |day: &str| format!("AWS/Kafka,BytesOutPerSec,\"Cluster Name=demo-msk,Topic=clickstream.events.raw\",{day}");
    let day_before = text.lines().find(|l| l.starts_with(&row("2026-11-13"))).unwrap().split(',').nth(6).unwrap();
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&row("2026-11-14")) {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells[6] = day_before;
                cells.join(",")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&points, edited.join("\n") + "\n").unwrap();
    let action = shorten(&model_of(fixture.path())).expect("retention is 7× what the lag needs without the backfill");
    assert!(action.summary.contains("from 7 d to 24 h"), "{}", action.summary);
}

#[test]
fn internal_topics_are_the_platforms_and_no_action_targets_them() {
    // Kafka and MSK manage `__consumer_offsets` and `__amazon_msk_canary`. Here the catalog loses its `__` rule,
    // and `__consumer_offsets` gets a write-rate series as busy as a workload topic's (5 MiB/s): before, it was
    // proposed for shared storage, and both were "assign an owner".
    let fixture = demo_copy();
    let catalog = fixture.path().join("catalog.toml");
    edit(&catalog, "[[rules]]\nowner = \"platform\"\nkind = \"topic\"\nprefix = \"__\"\n", "");
    let mut points = String::new();
    for day in 27..=31 {
        points.push_str(&format!(
            "AWS/Kafka,BytesInPerSec,\"Cluster Name=demo-msk,Topic=__consumer_offsets\",2026-10-{day}T00:00:00Z,\
             Average,5242880,Bytes/Second\n"
        ));
    }
    append(&fixture.path().join("metric_points.csv"), &points);
    let model = model_of(fixture.path());
    for name in ["__consumer_offsets", "__amazon_msk_canary"] {
        let t = model.topics.iter().find(|t| t.topic == name).unwrap();
        assert_eq!(t.owner, "platform", "{name}");
        assert!(t.owner_rule.contains("internal topic"), "{}", t.owner_rule);
        let aimed: Vec<_> = model.actions.iter().filter(|a| a.topic.as_deref() == Some(name)).collect();
        assert!(aimed.is_empty(), "{name}: {aimed:?}");
    }
    // Their cost is the platform's, in its roll-up.
    let offsets = model.topics.iter().find(|t| t.topic == "__consumer_offsets").unwrap();
    assert!(offsets.bytes_in_per_sec.is_some() && offsets.broker_local.monthly_usd > Decimal::ZERO);
    let platform = model.owners.iter().find(|o| o.owner == "platform").unwrap();
    assert!(platform.topics >= 3, "analytics.scratch and the two internal topics: {}", platform.topics);
}

#[test]
fn what_ifs_kafka_would_refuse_are_never_a_saving_and_compact_topics_ignore_retention() {
    // payments.transactions has RF 3 and min.insync.replicas 2 (topics.csv). (RF above the brokers is refused
    // too: `whatif::tests`, as the config holds RF to 6 and demo-msk has 6 brokers.)
    // - RF 1 < min.insync.replicas 2: acks=all writes fail (NOT_ENOUGH_REPLICAS). Before, it was priced as a
    //   saving of two thirds of the storage and all the replication.
    // - RF 2 = min.insync.replicas: allowed, priced.
    // - analytics.user-profiles is `cleanup.policy=compact` with unlimited retention: Kafka applies no retention.ms
    //   to it, so a 24 h retention moves no byte. Before, it went $22.47 → $9.24 (sized as 24 h of writes).
    let fixture = demo_copy();
    append(
        &fixture.path().join("kafka-finops.toml"),
        r#"
[[what_if]]
name = "one replica"
topics = ["payments.transactions"]
replication_factor = 1

[[what_if]]
name = "two replicas"
topics = ["payments.transactions"]
replication_factor = 2

[[what_if]]
name = "profiles for a day"
topics = ["analytics.user-profiles"]
retention_hours = 24
"#,
    );
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    let result = |name: &str| model.what_ifs.iter().find(|w| w.what_if.name == name).unwrap();
    let one = result("one replica");
    assert_eq!((one.refused, one.delta_usd), (1, Decimal::ZERO));
    let t = &one.topics[0];
    assert!(t.refused.as_deref().is_some_and(|r| r.contains("NOT_ENOUGH_REPLICAS")), "{:?}", t.refused);
    assert_eq!(t.after_usd, t.before_usd);
    let two = result("two replicas");
    assert_eq!(two.refused, 0);
    assert!(two.delta_usd < Decimal::ZERO, "RF 3 → 2 stores and replicates less: {}", two.delta_usd);
    let profiles = result("profiles for a day");
    assert_eq!(profiles.delta_usd, Decimal::ZERO);
    assert!(profiles.topics[0].notes.iter().any(|n| n.contains("compact")), "{:?}", profiles.topics[0].notes);
    // The report shows the refusals in red.
    let html = std::fs::read_to_string(work.path().join(out.run_dir()).join("index.html")).unwrap();
    assert!(html.contains("class=\"refused\">refused: replication factor 1 is below"), "refusal shown");
}

/// The demo's `inter_az_consume` GiB, over every topic.
fn consume_gib(model: &ReportModel) -> Decimal {
    model
        .topics
        .iter()
        .flat_map(|t| t.broker_local.components.iter())
        .filter(|c| c.name == "inter_az_consume")
        .map(|c| c.quantity)
        .sum()
}

#[test]
fn a_group_without_members_that_reads_nothing_is_not_priced_as_a_reader() {
    // A new group, `Empty` (no members) and far behind on every partition of clickstream.events.raw, whose
    // measured BytesOutPerSec (8.42 MB/s over 4 MB/s written) its two groups with members already account for.
    // Before, the group added a full read of every byte written: cross-AZ consume traffic and remote reads.
    let fixture = demo_copy();
    let base = model_of(fixture.path());
    let mut rows = String::new();
    for partition in 0..64 {
        rows.push_str(&format!("demo-msk,stale-dashboard,Empty,clickstream.events.raw,{partition},1000,50000000\n"));
    }
    append(&fixture.path().join("consumer_group_offsets.csv"), &rows);
    let model = model_of(fixture.path());
    assert_eq!(consume_gib(&model), consume_gib(&base));
    let raw = |m: &ReportModel| m.topics.iter().find(|t| t.topic == "clickstream.events.raw").unwrap().clone();
    assert_eq!(raw(&model).broker_local.monthly_usd, raw(&base).broker_local.monthly_usd);
    assert_eq!(raw(&model).shared_storage.monthly_usd, raw(&base).shared_storage.monthly_usd);
    // Each group says what its reads were taken from.
    let group = |id: &str| {
        model.consumer_groups.iter().find(|g| g.group_id == id && g.topic == "clickstream.events.raw").unwrap()
    };
    let stale = group("stale-dashboard");
    assert_eq!((stale.reads, stale.read_basis), (Some(Decimal::ZERO), Some(ReadBasis::NotReading)));
    let reader = group("clickstream-enricher");
    assert_eq!(reader.read_basis, Some(ReadBasis::BytesOut));
    // legacy-mirror (Empty) reads legacy-export-2023, whose BytesOutPerSec is 0: no reads priced.
    let legacy = model.consumer_groups.iter().find(|g| g.group_id == "legacy-mirror").unwrap();
    assert_eq!(legacy.reads, Some(Decimal::ZERO));
    let export = model.topics.iter().find(|t| t.topic == "legacy-export-2023").unwrap();
    assert!(export.broker_local.components.iter().all(|c| c.name != "inter_az_consume" || c.quantity.is_zero()));
}

#[test]
fn a_compact_delete_topic_holds_its_groups_to_its_retention_by_records_not_offsets() {
    // orders.order-state is `compact,delete` with 14 days' retention. A group reading it from its log start is
    // behind by every offset retained: Σ (latest − earliest) = 48,383,994 offsets (partitions.csv). Its
    // MessagesInPerSec is 40 records/s (metric_points.csv), so that is 48,383,994 ÷ 40 = 1,209,600 s = 14.0 days:
    // at the retention, reading what it deletes next: blocked. Before, the lag in time was offsets × (bytes ÷
    // offsets) ÷ bytes/s, and compaction's gaps made bytes ÷ offsets far below the record size (1.77 days), and a
    // compacted topic was always ready for replay.
    let fixture = demo_copy();
    let (header, rows) = read_csv(&fixture.path().join("partitions.csv"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut lines = String::new();
    for r in rows.iter().filter(|r| r[at("topic")] == "orders.order-state") {
        let (earliest, latest): (i64, i64) =
            (r[at("earliest_offset")].parse().unwrap(), r[at("latest_offset")].parse().unwrap());
        lines.push_str(&format!(
            "demo-msk,orders-rebuilder,Stable,orders.order-state,{},{earliest},{}\n",
            r[at("partition")],
            latest - earliest
        ));
    }
    append(&fixture.path().join("consumer_group_offsets.csv"), &lines);
    let model = model_of(fixture.path());
    let group = model.consumer_groups.iter().find(|g| g.group_id == "orders-rebuilder").unwrap();
    assert_eq!(group.total_lag, Some(48_383_994));
    let days = Decimal::from(group.lag_ms.unwrap()) / Decimal::from(86_400_000);
    assert_eq!(days.round_dp(1), Decimal::new(140, 1), "{days} days");
    let topic = model.topics.iter().find(|t| t.topic == "orders.order-state").unwrap();
    let replay = topic
        .readiness
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .find(|c| c.dimension == kafka_finops::report_model::Dimension::RollbackReplay)
        .unwrap();
    assert_eq!(replay.verdict, kafka_finops::report_model::Verdict::Blocked, "{}", replay.reason);
    assert!(replay.reason.contains("orders-rebuilder"), "{}", replay.reason);
}

#[test]
fn a_recording_made_before_segment_ms_was_collected_still_runs() {
    // topics.csv without its trailing `segment_ms` column (added with model version 10): the column reads as
    // unknown, and the segment rule takes `segment.bytes` alone.
    let fixture = demo_copy();
    let path = fixture.path().join("topics.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut: Vec<&str> = text.lines().map(|l| l.rsplit_once(',').unwrap().0).collect();
    assert!(cut[0].ends_with("local_retention_bytes"));
    std::fs::write(&path, cut.join("\n") + "\n").unwrap();
    let model = model_of(fixture.path());
    assert_eq!(model.topics.len(), 39);
}

#[test]
fn a_negative_lag_leaves_the_groups_lag_on_the_topic_unknown_not_smaller() {
    // payments-ledger-writer's first row (payments.transactions partition 0) gets a lag of −4: the partition's lag is
    // unknown, and so is the group's on the topic. Before, it was the sum of the other 11 partitions'.
    let fixture = demo_copy();
    let path = fixture.path().join("consumer_group_offsets.csv");
    edit(
        &path,
        "demo-msk,payments-ledger-writer,Stable,payments.transactions,0,42889382,4\n",
        "demo-msk,payments-ledger-writer,Stable,payments.transactions,0,42889390,-4\n",
    );
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "the negative lag is a warning: {}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    let g = model
        .consumer_groups
        .iter()
        .find(|g| g.group_id == "payments-ledger-writer" && g.topic == "payments.transactions")
        .unwrap();
    assert_eq!((g.total_lag, g.max_partition_lag, g.lag_ms), (None, None, None));
}

/// The demo's lag classes (its `earlier_partition_offsets.csv` is the run a day before), and what a broker under
/// disk pressure changes. Each expectation is derived from the fixture's offsets (fixtures/demo/generate.py,
/// `EARLIER`), not from the code.
#[test]
fn lag_is_classified_by_burrows_rules_and_a_flagged_leader_routes_warn_to_the_platform() {
    use kafka_finops::report_model::{LagStatus, LagSymptom};
    let class = |model: &kafka_finops::report_model::ReportModel, group: &str, topic: &str| {
        let g = model.consumer_groups.iter().find(|g| g.group_id == group && g.topic == topic).unwrap();
        g.lag_class.clone()
    };
    let demo = demo_copy();
    let work = tempfile::tempdir().unwrap();
    let config = demo.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    let model = read_model(&work.path().join(out.run_dir()));
    // legacy-mirror (state Empty): committed the same on all 6 partitions while 43,200 were written: STOP. No rule
    // owns it, so the platform owner routes it.
    let stop = class(&model, "legacy-mirror", "legacy-export-2023");
    assert_eq!(
        (stop.status, stop.symptom, stop.first_responder.as_deref()),
        (LagStatus::Stop, LagSymptom::ClientProcessing, Some("platform"))
    );
    // analytics-spark-sessionizer: its lag doubled (half of today's 9,000 s behind, a day ago) while it committed:
    // WARN, the data-platform team's.
    let warn = class(&model, "analytics-spark-sessionizer", "clickstream.events.raw");
    assert_eq!(
        (warn.status, warn.symptom, warn.first_responder.as_deref()),
        (LagStatus::Warn, LagSymptom::ClientProcessing, Some("data-platform"))
    );
    // orders-cart-analytics: partition 5 went from a normal lag to 2 h of its messages, the others kept pace: skew.
    let skew = class(&model, "orders-cart-analytics", "orders.cart-updates");
    assert_eq!((skew.symptom, skew.hot_partition), (LagSymptom::PartitionSkew, Some(5)));
    assert_eq!(skew.first_responder.as_deref(), Some("orders with platform"));
    // adhoc-jdoe-debug appeared since the earlier run: never a guess.
    let new = class(&model, "adhoc-jdoe-debug", "test-loadgen");
    assert_eq!(
        (new.status, new.symptom, new.first_responder),
        (LagStatus::NeedsSecondRun, LagSymptom::Unclassified, None)
    );
    // A group keeping pace is OK and routes to nobody.
    let ok = class(&model, "payments-ledger-writer", "payments.transactions");
    assert_eq!((ok.status, ok.symptom, ok.first_responder), (LagStatus::Ok, LagSymptom::None, None));

    // Every broker is about 50 % full: a 45 % threshold puts each over it now, so every lagging partition's leader
    // is flagged. WARN becomes broker disk pressure, the platform's; STOP stays the consumer's.
    edit(&config, "disk_threshold = 0.8", "disk_threshold = 0.45");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "pressed"], work.path());
    let model = read_model(&work.path().join(out.run_dir()));
    let pressed = class(&model, "analytics-spark-sessionizer", "clickstream.events.raw");
    assert_eq!((pressed.status, pressed.symptom), (LagStatus::Warn, LagSymptom::BrokerDiskPressure));
    assert_eq!(pressed.first_responder.as_deref(), Some("platform"));
    // Its 64 partitions are led by all six brokers.
    assert_eq!(pressed.pressured_brokers, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(class(&model, "legacy-mirror", "legacy-export-2023").symptom, LagSymptom::ClientProcessing);
}
