//! Each SQL file in queries/ on a tiny hand-made scenario whose results are worked out by hand below.

use chrono::{NaiveDate, TimeZone, Utc};
use kafka_finops::collect::Collected;
use kafka_finops::normalize::{Tables, normalize};
use kafka_finops::schema::*;
use kafka_finops::settings::{ClusterConfig, Platform};
use polars::prelude::*;
use rust_decimal::Decimal;

const CATALOG: &str = r#"
[owners.pay]
team = "Payments"
cost_center = "CC-1"
escalation = "pay@example.com"

[[rules]]
owner = "pay"
kind = "topic"
prefix = "pay."

[[rules]]
owner = "pay"
kind = "consumer_group"
prefix = "g-pay"
"#;

fn broker(id: i64, rack: &str) -> Broker {
    Broker { cluster: "c1".into(), broker_id: id, rack: Some(rack.into()), host: format!("b{id}") }
}

fn topic(name: &str, partitions: i64, rf: i64) -> Topic {
    Topic {
        cluster: "c1".into(),
        topic: name.into(),
        is_internal: false,
        partitions,
        replication_factor: rf,
        retention_ms: Some(604_800_000),
        retention_bytes: Some(-1),
        cleanup_policy: Some("delete".into()),
        min_insync_replicas: Some(1),
        segment_bytes: Some(1 << 30),
        segment_ms: Some(604_800_000),
        remote_storage_enable: Some(false),
        local_retention_ms: Some(-2),
        local_retention_bytes: Some(-2),
    }
}

#[allow(clippy::too_many_arguments)]
fn partition(
    t: &str,
    p: i64,
    leader: i64,
    replicas: &str,
    racks: &str,
    size: Option<i64>,
    first: i64,
    last: i64,
) -> Partition {
    Partition {
        cluster: "c1".into(),
        topic: t.into(),
        partition: p,
        leader: Some(leader),
        replicas: replicas.into(),
        isr: replicas.into(),
        replica_racks: racks.into(),
        size_bytes: size,
        earliest_offset: Some(first),
        latest_offset: Some(last),
    }
}

fn offset(group: &str, t: &str, p: i64, lag: i64) -> ConsumerGroupOffset {
    ConsumerGroupOffset {
        cluster: "c1".into(),
        group_id: group.into(),
        state: "Stable".into(),
        topic: t.into(),
        partition: p,
        committed_offset: Some(0),
        lag: Some(lag),
    }
}

fn cost(day: u32, usage_type: &str, resource: &str, quantity: &str, amount: &str) -> CostLine {
    CostLine {
        date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        account_id: "1".into(),
        service: "svc".into(),
        usage_type: usage_type.into(),
        operation: None,
        resource_id: Some(resource.into()),
        tags: "{}".into(),
        usage_quantity: (!quantity.is_empty()).then(|| quantity.parse().unwrap()),
        usage_unit: "u".into(),
        amount: amount.parse().unwrap(),
        amortized_amount: None,
        currency: "USD".into(),
        source: "test".into(),
    }
}

fn metric(topic: &str, day: u32, value: f64) -> MetricPoint {
    MetricPoint {
        namespace: "AWS/Kafka".into(),
        metric: "BytesInPerSec".into(),
        dimensions: format!("Cluster Name=c1,Topic={topic}"),
        timestamp: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
        stat: "Average".into(),
        value,
        unit: "Bytes/Second".into(),
    }
}

/// Four brokers in three zones (3 and 4 share az-c); `pay.tx` RF 3 over two partitions, `misc` RF 2 with one
/// partition whose size was not collected and whose racks come from the brokers table.
fn joined() -> Tables {
    join(&base())
}

fn base() -> Collected {
    Collected {
        brokers: vec![broker(1, "az-a"), broker(2, "az-b"), broker(3, "az-c"), broker(4, "az-c")],
        topics: vec![topic("pay.tx", 2, 3), topic("misc", 1, 2)],
        partitions: vec![
            partition("pay.tx", 0, 1, "1;2;3", "az-a;az-b;az-c", Some(100), 0, 10),
            partition("pay.tx", 1, 2, "2;1;3", "az-b;az-a;az-c", Some(50), 5, 20),
            partition("misc", 0, 3, "3;4", "", None, 0, 1000),
        ],
        consumer_group_offsets: vec![
            offset("g-pay", "pay.tx", 0, 5),
            offset("g-pay", "pay.tx", 1, 7),
            offset("g-other", "pay.tx", 0, 1),
            offset("g-other", "misc", 0, 100),
        ],
        cost_lines: vec![
            cost(1, "USE1-Kafka.m5.large", "arn1", "24", "10.50"),
            cost(1, "USE1-DataTransfer-Regional-Bytes", "arn1", "12.345678", "0.1234567891"),
            cost(2, "USE1-Kafka.m5.large", "arn1", "24", "10.50"),
            cost(2, "USE1-Something", "elsewhere", "1", "1"),
        ],
        metric_points: vec![metric("pay.tx", 1, 100.0), metric("pay.tx", 2, 300.0)],
        ..Default::default()
    }
}

/// The joined tables of `c`, with cluster `c1` (MSK, kafka.m5.large) owning the resource `arn1`.
fn join(c: &Collected) -> Tables {
    let catalog = kafka_finops::catalog::parse("catalog.toml", CATALOG).unwrap();
    let clusters = vec![ClusterConfig {
        name: "c1".into(),
        platform: Platform::Msk,
        region: "us-east-1".into(),
        broker_instance_type: "kafka.m5.large".into(),
        billing_resource_ids: vec!["arn1".into()],
        ebs_volume_type: None,
    }];
    kafka_finops::join::run(normalize(c).unwrap(), &catalog, &clusters, None).unwrap()
}

/// One row of `table` where `key` equals `value`, as name → printed value.
fn row(tables: &Tables, table: &str, filter: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    let df = tables.get(table).unwrap_or_else(|| panic!("no table {table}"));
    let mut matches = (0..df.height()).filter(|&i| filter.iter().all(|(k, v)| cell(df, k, i) == *v));
    let i = matches.next().unwrap_or_else(|| panic!("no row {filter:?} in {table}: {df}"));
    assert!(matches.next().is_none(), "several rows {filter:?} in {table}");
    df.get_column_names().iter().map(|n| (n.to_string(), cell(df, n, i))).collect()
}

fn cell(df: &DataFrame, column: &str, i: usize) -> String {
    match df.column(column).unwrap().get(i).unwrap() {
        AnyValue::Null => "null".into(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string(),
    }
}

#[test]
fn topic_facts_sizes_placement_rates_lag_and_owner() {
    let t = joined();
    let pay = row(&t, "topic_facts", &[("topic", "pay.tx")]);
    assert_eq!(pay["owner"], "pay");
    assert_eq!(pay["retained_bytes"], "150"); // 100 + 50
    assert_eq!(pay["messages_retained"], "25"); // (10 − 0) + (20 − 5)
    assert_eq!(pay["follower_replicas"], "4"); // 2 partitions × 2 followers
    assert_eq!(pay["followers_in_other_zone"], "4"); // rack-aware: every follower in another zone
    assert_eq!(pay["bytes_in_per_sec"], "200.0"); // mean of 100 and 300
    assert_eq!(pay["consumer_groups"], "2");
    assert_eq!(pay["total_lag"], "13"); // 5 + 7 + 1
    assert_eq!(pay["max_group_lag"], "12"); // g-pay: 5 + 7

    let misc = row(&t, "topic_facts", &[("topic", "misc")]);
    assert_eq!(misc["owner"], "unowned");
    assert_eq!(misc["retained_bytes"], "null", "an unknown size stays unknown");
    assert_eq!(misc["partitions_size_unknown"], "1");
    assert_eq!(misc["followers_in_other_zone"], "0", "brokers 3 and 4 share az-c (racks from brokers)");
    assert_eq!(misc["bytes_in_per_sec"], "null");
}

#[test]
fn group_lag_per_group_and_topic_with_both_owners() {
    let t = joined();
    let g = row(&t, "group_lag", &[("group_id", "g-pay"), ("topic", "pay.tx")]);
    assert_eq!((g["owner"].as_str(), g["topic_owner"].as_str()), ("pay", "pay"));
    assert_eq!((g["partitions"].as_str(), g["total_lag"].as_str(), g["max_partition_lag"].as_str()), ("2", "12", "7"));
    let o = row(&t, "group_lag", &[("group_id", "g-other"), ("topic", "pay.tx")]);
    assert_eq!((o["owner"].as_str(), o["topic_owner"].as_str(), o["total_lag"].as_str()), ("unowned", "pay", "1"));
    assert_eq!(t.get("group_lag").unwrap().height(), 3);
}

#[test]
fn group_partition_lag_pairs_each_partition_with_the_earlier_runs_readings() {
    let earlier = |p: i64, group: Option<&str>, offset: i64| EarlierPartitionOffset {
        cluster: "c1".into(),
        topic: "pay.tx".into(),
        partition: p,
        group_id: group.map(str::to_string),
        offset,
        sampled_at: chrono::DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z").unwrap().into(),
        run: "20261125T000000.000Z".into(),
    };
    let mut c = base();
    // The earlier run read both partitions' log ends (4 and 12) but g-pay's offset on partition 0 only (2).
    c.earlier_partition_offsets = vec![earlier(0, None, 4), earlier(1, None, 12), earlier(0, Some("g-pay"), 2)];
    let t = join(&c);
    let p0 = row(&t, "group_partition_lag", &[("group_id", "g-pay"), ("partition", "0")]);
    // Now: committed 0 (the fixture's), log end 10 (partition 0's latest), led by broker 1.
    let now = (p0["committed"].as_str(), p0["log_end"].as_str(), p0["leader"].as_str());
    assert_eq!(now, ("0", "10", "1"));
    let before = (p0["committed_before"].as_str(), p0["log_end_before"].as_str(), p0["before_run"].as_str());
    assert_eq!(before, ("2", "4", "20261125T000000.000Z"));
    // Partition 1: its log end was read, g-pay's offset was not (null, never 0).
    let p1 = row(&t, "group_partition_lag", &[("group_id", "g-pay"), ("partition", "1")]);
    assert_eq!((p1["committed_before"].as_str(), p1["log_end_before"].as_str()), ("null", "12"));
    // g-other on misc: the earlier run read nothing there.
    let misc = row(&t, "group_partition_lag", &[("group_id", "g-other"), ("topic", "misc")]);
    assert_eq!((misc["log_end_before"].as_str(), misc["before_run"].as_str()), ("null", "null"));
    // One row per committed offset of this run.
    assert_eq!(t.get("group_partition_lag").unwrap().height(), 4);
}

#[test]
fn owner_facts_lists_every_owner_with_their_inventory() {
    let t = joined();
    let pay = row(&t, "owner_facts", &[("owner", "pay")]);
    assert_eq!(pay["team"], "Payments");
    assert_eq!((pay["topics"].as_str(), pay["partitions"].as_str(), pay["retained_bytes"].as_str()), ("1", "2", "150"));
    assert_eq!((pay["consumer_groups"].as_str(), pay["max_group_lag"].as_str()), ("1", "12"));
    let un = row(&t, "owner_facts", &[("owner", "unowned")]);
    // The topic's size is unknown: no bytes counted (the model, not the join, says which topics are incomplete).
    assert_eq!((un["topics"].as_str(), un["retained_bytes"].as_str()), ("1", "0"));
    assert_eq!(un["max_group_lag"], "100");
}

#[test]
fn cluster_facts_counts_brokers_and_zones() {
    let t = joined();
    let c = row(&t, "cluster_facts", &[("cluster", "c1")]);
    assert_eq!((c["brokers"].as_str(), c["zones"].as_str(), c["topics"].as_str()), ("4", "3", "2"));
    assert_eq!((c["retained_bytes"].as_str(), c["bytes_in_per_sec"].as_str()), ("150", "200.0"));
}

#[test]
fn cost_lines_are_classified_and_attributed_to_clusters() {
    let t = joined();
    let classified = t.get("cost_lines_classified").unwrap();
    assert_eq!(classified.height(), 4);
    let transfer = row(&t, "cost_lines_classified", &[("cost_class", "inter_az_transfer")]);
    assert_eq!(transfer["cluster"], "c1");
    let other = row(&t, "cost_lines_classified", &[("cost_class", "other")]);
    assert_eq!(other["cluster"], "(unattributed)");
}

#[test]
fn cluster_costs_sum_exactly_in_decimal() {
    let t = joined();
    let hours = row(&t, "cluster_costs", &[("cluster", "c1"), ("cost_class", "msk_broker_hours")]);
    assert_eq!(hours["amount"].parse::<Decimal>().unwrap(), "21.00".parse::<Decimal>().unwrap());
    assert_eq!(hours["usage_quantity"].parse::<Decimal>().unwrap(), Decimal::from(48));
    assert_eq!(
        (hours["days"].as_str(), hours["first_day"].as_str(), hours["last_day"].as_str()),
        ("2", "2026-11-01", "2026-11-02")
    );
    let transfer = row(&t, "cluster_costs", &[("cluster", "c1"), ("cost_class", "inter_az_transfer")]);
    assert_eq!(
        transfer["amount"].parse::<Decimal>().unwrap(),
        "0.1234567891".parse::<Decimal>().unwrap(),
        "ten fraction digits survive"
    );
}

/// A charged line without a quantity makes its usage type's quantities unknown (null), never a sum over the other
/// lines; a credit without one is no usage. Hand-derived: storage $3.00 charged with no quantity → both quantities
/// null; tiered storage 10 GB-Mo for $0.60 and a $0.10 credit with no quantity → 10 and 10, net $0.50.
#[test]
fn a_charged_line_without_a_quantity_leaves_the_quantity_unknown() {
    let c = Collected {
        cost_lines: vec![
            cost(1, "USE1-Kafka.Storage.GP2", "arn1", "5", "0.50"),
            cost(2, "USE1-Kafka.Storage.GP2", "arn1", "", "3.00"),
            cost(1, "USE1-Kafka.Storage.Tiered", "arn1", "10", "0.60"),
            cost(2, "USE1-Kafka.Storage.Tiered", "arn1", "", "-0.10"),
        ],
        ..Default::default()
    };
    let t = join(&c);
    let storage = row(&t, "cluster_costs", &[("cost_class", "msk_storage")]);
    assert_eq!((storage["usage_quantity"].as_str(), storage["charged_quantity"].as_str()), ("null", "null"));
    assert_eq!(storage["amount"].parse::<Decimal>().unwrap(), "3.50".parse::<Decimal>().unwrap());
    let tiered = row(&t, "cluster_costs", &[("cost_class", "msk_tiered_storage")]);
    assert_eq!(tiered["usage_quantity"].parse::<Decimal>().unwrap(), Decimal::from(10));
    assert_eq!(tiered["charged_quantity"].parse::<Decimal>().unwrap(), Decimal::from(10));
    assert_eq!(tiered["amount"].parse::<Decimal>().unwrap(), "0.50".parse::<Decimal>().unwrap());
}

#[test]
fn daily_costs_one_row_per_day_cluster_and_class() {
    let t = joined();
    let daily = t.get("daily_costs").unwrap();
    assert_eq!(daily.height(), 4); // day 1: hours, transfer; day 2: hours, unattributed other
    let d2 = row(&t, "daily_costs", &[("billing_day", "2026-11-02"), ("cluster", "c1")]);
    assert_eq!(d2["amount"].parse::<Decimal>().unwrap(), "10.5".parse::<Decimal>().unwrap());
}

#[test]
fn every_query_file_opens_with_inputs_output_and_grain() {
    for kafka_finops::join::contract::Query { name, sql, .. } in kafka_finops::join::QUERIES {
        for key in ["-- inputs:", "-- output:", "-- grain:"] {
            assert!(sql.contains(key), "queries/{name}.sql lacks `{key}`");
        }
        assert!(sql.starts_with(&format!("-- {name}:")), "queries/{name}.sql must start with `-- {name}:`");
    }
}

#[test]
fn broker_zones_and_partition_placement_carry_racks_sizes_and_leaders() {
    let t = joined();
    assert_eq!(row(&t, "broker_zones", &[("rack", "az-a")])["brokers"], "1");
    assert_eq!(row(&t, "broker_zones", &[("rack", "az-c")])["brokers"], "2"); // brokers 3 and 4
    // pay.tx partition 1: leader broker 2 in az-b, 50 bytes, offsets 5..20.
    let leader = row(&t, "partition_placement", &[("topic", "pay.tx"), ("partition", "1"), ("broker_id", "2")]);
    assert_eq!((leader["rack"].as_str(), leader["is_leader"].as_str()), ("az-b", "true"));
    assert_eq!((leader["size_bytes"].as_str(), leader["messages_retained"].as_str()), ("50", "15"));
    let follower = row(&t, "partition_placement", &[("topic", "pay.tx"), ("partition", "1"), ("broker_id", "3")]);
    assert_eq!((follower["rack"].as_str(), follower["is_leader"].as_str()), ("az-c", "false"));
    // misc: racks from the brokers table, size unknown stays null.
    let misc = row(&t, "partition_placement", &[("topic", "misc"), ("broker_id", "4")]);
    assert_eq!((misc["rack"].as_str(), misc["size_bytes"].as_str()), ("az-c", "null"));
    assert_eq!(t.get("partition_placement").unwrap().height(), 8); // 2 × 3 + 1 × 2 replicas
}

#[test]
fn cluster_write_rates_sum_topics_per_timestamp_and_skip_points_missing_a_topic() {
    // Day 1: pay.tx 100 + misc 50 = 150 B/s. Day 2: only pay.tx has a point: left out, never read as a quiet 300.
    let c = Collected {
        brokers: vec![broker(1, "az-a")],
        topics: vec![topic("pay.tx", 1, 1), topic("misc", 1, 1)],
        metric_points: vec![metric("pay.tx", 1, 100.0), metric("misc", 1, 50.0), metric("pay.tx", 2, 300.0)],
        ..Default::default()
    };
    let catalog = kafka_finops::catalog::parse("catalog.toml", CATALOG).unwrap();
    let t = kafka_finops::join::run(normalize(&c).unwrap(), &catalog, &[], None).unwrap();
    let rates = t.get("cluster_write_rates").unwrap();
    assert_eq!(rates.height(), 1, "{rates}");
    assert_eq!(cell(rates, "bytes_in_per_sec", 0), "150.0");
}

#[test]
fn every_query_is_declared_and_its_header_names_each_declared_column() {
    // Every file under queries/ is a declared query (a declared query without its file does not compile).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".sql").map(str::to_string))
        .collect();
    files.sort();
    let mut declared: Vec<String> = kafka_finops::join::QUERIES.iter().map(|q| q.name.to_string()).collect();
    declared.sort();
    assert_eq!(files, declared, "queries/*.sql and the declarations in join/contract.rs differ");

    for kafka_finops::join::contract::Query { name, sql, .. } in kafka_finops::join::QUERIES {
        let declared = kafka_finops::join::contract::columns(name)
            .unwrap_or_else(|| panic!("queries/{name}.sql has no declared output in join/contract.rs"));
        let header: String = sql
            .lines()
            .skip_while(|l| !l.starts_with("-- output:"))
            .take_while(|l| l.starts_with("--") && !l.starts_with("-- grain:"))
            .collect::<Vec<_>>()
            .join(" ");
        for c in declared {
            let named = header.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).any(|word| word == c.name);
            assert!(named, "queries/{name}.sql's `-- output:` header does not name `{}`", c.name);
        }
    }
}

#[test]
fn a_query_that_drifts_from_its_declaration_is_refused_naming_the_column() {
    use kafka_finops::join::contract::check;
    let ok = df!("cluster" => ["c1"], "rack" => [Some("az-a")], "brokers" => [1u32]).unwrap();
    assert!(check("broker_zones", &ok).is_ok());
    let renamed = df!("cluster" => ["c1"], "zone" => [Some("az-a")], "brokers" => [1u32]).unwrap();
    assert!(check("broker_zones", &renamed).unwrap_err().to_string().contains("columns are `cluster, zone, brokers`"));
    let retyped = df!("cluster" => ["c1"], "rack" => [Some("az-a")], "brokers" => ["one"]).unwrap();
    assert!(check("broker_zones", &retyped).unwrap_err().to_string().contains("`brokers` is str"));
    let null = df!("cluster" => [None::<&str>], "rack" => [Some("az-a")], "brokers" => [1u32]).unwrap();
    assert!(check("broker_zones", &null).unwrap_err().to_string().contains("`cluster` has 1 null(s)"));
}

/// Each collected table, as the declaration in `collect::Collected` gives it: its name and its columns.
#[derive(Default)]
struct Declared(Vec<(&'static str, Vec<ColumnSpec>, kafka_finops::collect::InScenario)>);

impl kafka_finops::collect::EachTable for Declared {
    fn table<T: Table + Sync>(&mut self, _: &[T], file: kafka_finops::collect::InScenario) {
        self.0.push((T::NAME, T::columns(), file));
    }
}

#[test]
fn every_declared_table_is_recorded_replayed_validated_normalized_and_joinable() {
    use kafka_finops::collect::{COLLECTED_TABLES, InScenario, Source, scenario::ScenarioSource};
    use kafka_finops::files::InputFiles;
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let read = |dir: &std::path::Path| {
        let mut c = Collected::default();
        let source = ScenarioSource { name: "demo".into(), files: InputFiles::Disk(dir.to_path_buf()) };
        source.collect(&mut c).unwrap();
        c
    };
    let collected = read(&demo);
    let mut declared = Declared::default();
    collected.each_table(&mut declared);
    let names: Vec<&str> = declared.0.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(names, COLLECTED_TABLES, "the validator's table list is the declaration's");

    // Recorded and replayed: a file per table, and the same rows back.
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("recorded");
    kafka_finops::collect::record::write_scenario(&collected, "demo", &dir).unwrap();
    for (name, _, _) in &declared.0 {
        assert!(dir.join(format!("{name}.csv")).exists(), "recording wrote no {name}.csv");
    }
    assert_eq!(read(&dir), collected);
    // A required table's file is required on replay; an optional one may be missing.
    for (name, _, file) in &declared.0 {
        let copy = work.path().join(format!("without-{name}"));
        std::fs::create_dir(&copy).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy() != format!("{name}.csv") {
                std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
            }
        }
        let mut c = Collected::default();
        let source = ScenarioSource { name: "demo".into(), files: InputFiles::Disk(copy) };
        assert_eq!(source.collect(&mut c).is_ok(), *file == InScenario::Optional, "{name}.csv missing");
    }

    // Validated (a source may list it), normalized with the declared columns, and registered for the SQL.
    let mut listed = collected.clone();
    listed.sources[0].tables = COLLECTED_TABLES.iter().map(|t| t.to_string()).collect();
    kafka_finops::validate::check(&listed).unwrap();
    let tables = normalize(&collected).unwrap();
    for (name, columns, _) in &declared.0 {
        let frame = tables.get(name).unwrap_or_else(|| panic!("normalize made no frame `{name}`"));
        let want: Vec<&str> = columns.iter().map(|c| c.name).collect();
        assert_eq!(frame.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>(), want, "{name}");
        let all = kafka_finops::join::run_query(&tables, &format!("SELECT * FROM {name}")).unwrap();
        assert_eq!(all.height(), frame.height(), "{name} through the SQL context");
    }
}

fn reading(
    topic: &str,
    group: Option<&str>,
    at: chrono::DateTime<Utc>,
    sum: i64,
    partitions: i64,
    taken: &str,
) -> OffsetSample {
    OffsetSample {
        cluster: "c1".into(),
        topic: topic.into(),
        group_id: group.map(String::from),
        sampled_at: at,
        offset_sum: sum,
        partitions,
        taken: taken.into(),
    }
}

#[test]
/// Derived by hand from two readings of the same partitions: Δ offsets ÷ Δ seconds, the earlier run's reading
/// preferred (a day's average) over the run's own two; bytes are records times the topic's bytes per record retained.
fn offset_rates_give_write_and_read_rates_between_runs_else_within_the_run() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let t1 = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let a_minute_before = t1 - chrono::Duration::seconds(60);
    let earlier = "run 20261130T000000.000Z";
    let c = Collected {
        offset_samples: vec![
            // pay.tx's log end: 1,000 a day ago, 87,280 a minute ago, 87,400 now. Between runs:
            // (87,400 − 1,000) ÷ 86,400 s = 1 record/s (within the run it would be 120 ÷ 60 = 2).
            reading("pay.tx", None, t0, 1_000, 2, earlier),
            reading("pay.tx", None, a_minute_before, 87_280, 2, "this run"),
            reading("pay.tx", None, t1, 87_400, 2, "this run"),
            // g-pay committed 500 a day ago, 43,700 now: 43,200 ÷ 86,400 = 0.5 records/s, half of what is written.
            reading("pay.tx", Some("g-pay"), t0, 500, 2, earlier),
            reading("pay.tx", Some("g-pay"), t1, 43_700, 2, "this run"),
            // g-other read one partition then, two now: not comparable, and no second reading this run.
            reading("pay.tx", Some("g-other"), t0, 900, 1, earlier),
            reading("pay.tx", Some("g-other"), t1, 950, 2, "this run"),
            // misc (no metric, size unknown): 0 → 600 in the run's 60 s = 10 records/s; bytes unknown.
            reading("misc", None, a_minute_before, 0, 1, "this run"),
            reading("misc", None, t1, 600, 1, "this run"),
        ],
        ..base()
    };
    let t = join(&c);
    let pay = row(&t, "offset_rates", &[("topic", "pay.tx"), ("group_key", "")]);
    assert_eq!((pay["records_per_sec"].as_str(), pay["seconds"].as_str()), ("1.0", "86400.0"));
    assert_eq!(pay["basis"], "offsets between runs");
    let misc = row(&t, "offset_rates", &[("topic", "misc")]);
    assert_eq!((misc["records_per_sec"].as_str(), misc["basis"].as_str()), ("10.0", "offsets within the run"));

    // pay.tx has 150 bytes in 25 records retained: 6 bytes a record, so 6 B/s from its offsets beside the metric's
    // 200 B/s, which stays its rate.
    let facts = row(&t, "topic_facts", &[("topic", "pay.tx")]);
    assert_eq!(facts["bytes_in_per_sec"], "200.0");
    assert_eq!((facts["offset_bytes_in_per_sec"].as_str(), facts["write_rate_basis"].as_str()), ("6.0", "metric"));
    let facts = row(&t, "topic_facts", &[("topic", "misc")]);
    assert_eq!((facts["bytes_in_per_sec"].as_str(), facts["messages_in_per_sec"].as_str()), ("null", "10.0"));
    assert_eq!(facts["write_rate_basis"], "offsets, but the average record size is unknown");

    let g = row(&t, "group_lag", &[("group_id", "g-pay"), ("topic", "pay.tx")]);
    assert_eq!((g["read_copies"].as_str(), g["read_basis"].as_str()), ("0.5", "offsets between runs"));
    let g = row(&t, "group_lag", &[("group_id", "g-other"), ("topic", "pay.tx")]);
    assert_eq!(g["read_copies"], "null");
    assert!(g["read_basis"].starts_with("offset readings not comparable"), "{}", g["read_basis"]);
    let g = row(&t, "group_lag", &[("group_id", "g-other"), ("topic", "misc")]);
    assert_eq!((g["read_copies"].as_str(), g["read_basis"].as_str()), ("null", "no offset readings"));
}

#[test]
/// A topic deleted and made again between runs: its log end went back, so the earlier reading is not a pair and the
/// run's own two readings are; with only one reading of its own there is no rate, never a negative one.
fn offsets_that_went_back_are_no_rate() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let t1 = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let earlier = "run 20261130T000000.000Z";
    let c = Collected {
        offset_samples: vec![
            reading("pay.tx", None, t0, 1_000_000, 2, earlier),
            reading("pay.tx", None, t1 - chrono::Duration::seconds(30), 30, 2, "this run"),
            reading("pay.tx", None, t1, 90, 2, "this run"),
            reading("misc", None, t0, 1_000_000, 1, earlier),
            reading("misc", None, t1, 5, 1, "this run"),
        ],
        ..base()
    };
    let t = join(&c);
    let pay = row(&t, "offset_rates", &[("topic", "pay.tx")]);
    assert_eq!((pay["records_per_sec"].as_str(), pay["basis"].as_str()), ("2.0", "offsets within the run"));
    let misc = row(&t, "offset_rates", &[("topic", "misc")]);
    assert_eq!(misc["records_per_sec"], "null");
    assert!(misc["basis"].starts_with("offset readings not comparable"), "{}", misc["basis"]);
}
