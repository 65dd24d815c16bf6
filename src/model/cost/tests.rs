//! The cost formulas checked against hand derivations and published figures (inputs written beside each).

use super::*;
use crate::model::assumptions::WalKind;
use crate::model::zones::{ClientZones, PartitionPlace, WeightBasis, ZoneShare, ZoneSource};
use rust_decimal::dec;

fn abc() -> Vec<String> {
    vec!["a".into(), "b".into(), "c".into()]
}

/// us-east-1 list prices, with the test cluster's MSK prices pinned so the hand computations do not move when the
/// book does.
fn book() -> PriceBook {
    book_with(&[])
}

/// The same book with more prices set, as a config's `[prices]` would.
fn book_with(extra: &[(&str, Decimal)]) -> PriceBook {
    let mut overrides: Vec<crate::prices::PriceOverride> =
        vec![("msk.broker.kafka.m5.2xlarge", dec!(0.84)), ("msk.storage", dec!(0.10))]
            .into_iter()
            .chain(extra.iter().copied())
            .map(|(key, usd)| crate::prices::PriceOverride {
                region: None,
                key: key.parse::<crate::prices::PriceKey>().unwrap(),
                usd,
                origin: "test".into(),
            })
            .collect();
    overrides.dedup_by(|a, b| a.key == b.key);
    PriceBook::defaults().settle("us-east-1", &[], &overrides)
}

fn cluster(platform: Platform) -> ClusterInputs {
    ClusterInputs {
        platform,
        volume: None,
        brokers: 6,
        zones: 3,
        broker_zones: abc().into_iter().map(|z| (z, 2)).collect(),
        broker_price_key: "msk.broker.kafka.m5.2xlarge".parse::<crate::prices::PriceKey>().unwrap(),
        cluster_bytes_in_per_sec: 4.0 * 1_048_576.0,
        disk_write_bytes_per_sec: 12.0 * 1_048_576.0,
        read_bytes_per_sec: 8.0 * 1_048_576.0,
        partitions: 0,
    }
}

/// 100 GiB retained, RF 3, 1 MiB/s written, 2 consumer groups; 6 partitions, leaders two in each of the zones
/// a, b, c, each follower in another zone; clients evenly in a, b, c.
pub(crate) fn topic() -> TopicInputs {
    TopicInputs {
        replication_factor: 3,
        retained_bytes: Some(100 * 1_073_741_824),
        partitions_size_unknown: 0,
        bytes_in_per_sec: Some(1_048_576.0),
        messages_in_per_sec: None,
        internal: false,
        retention_ms: Some(7 * 86_400_000),
        retention_bytes: Some(-1),
        bound_unknown: false,
        compacted: false,
        deletes: true,
        min_insync_replicas: Some(2),
        segment_bytes: None,
        segment_ms: None,
        tiered_today: None,
        tiered_window_ms: None,
        messages_retained: Some(100 * 1_048_576),
        producers: Clients::default(),
        groups: groups(2),
        placement: Placement::rack_aware(6, 3, &abc()),
    }
}

/// `n` groups, caught up.
fn groups(n: usize) -> Vec<GroupInputs> {
    (0..n)
        .map(|i| GroupInputs {
            group_id: format!("g{i}"),
            lag: Some(0),
            clients: Clients::default(),
            fetch_from_follower: None,
            active: true,
            reads: Decimal::ONE,
            read_basis: crate::model::cost::ReadBasis::Members,
            committed_reads: None,
        })
        .collect()
}

fn component<'a>(cost: &'a CostBreakdown, name: &str) -> &'a CostComponent {
    cost.components.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name} in {cost:?}"))
}

/// The inter-AZ components of a cost.
fn cross_az(cost: &CostBreakdown) -> Decimal {
    cost.components.iter().filter(|c| c.name.as_str().starts_with("inter_az")).map(|c| c.monthly_usd).sum()
}

/// Monthly cross-AZ cost of one topic in the setting of AutoMQ's examples: `rate_mib` MiB/s written, RF 3, three
/// zones, three consumer groups, a 30-day month.
fn automq_example_cross_az(rate_mib: f64, platform: Platform, fetch_from_follower: bool) -> Decimal {
    let t = TopicInputs {
        retained_bytes: Some(0),
        bytes_in_per_sec: Some(rate_mib * 1_048_576.0),
        groups: groups(3),
        ..topic()
    };
    let c = ClusterInputs { zones: 3, cluster_bytes_in_per_sec: rate_mib * 1_048_576.0, ..cluster(platform) };
    let a = Assumptions { month_hours: dec!(720), fetch_from_follower, ..Assumptions::default() };
    cross_az(&broker_local(&t, &c, &a, &book()))
}

#[test]
/// Published: AutoMQ, "AutoMQ vs. Apache Kafka Benchmarks and Cost"
/// (https://www.automq.com/docs/automq/benchmarks/automq-vs-apache-kafka-benchmarks-and-cost), cost table,
/// "Cross-availability zone traffic cost", Apache Kafka: $138,240 per month.
/// Its inputs, as the page states them: 1 GiB/s produced and consumed, three AZs, RF 3, consumers in every zone
/// reading from a replica in their own zone (client.rack), and AWS's $0.02 per GB crossing (0.01 out + 0.01 in),
/// counted per GiB as the model counts it (the page's figure comes out exactly that way). A 30-day month:
/// 1 GiB/s × 2,592,000 s = 2,592,000 GiB written.
/// Crossing per GiB written: 2/3 (producers reach leaders spread over three zones) + 2 (two follower copies),
/// consumers 0. 2,592,000 × 8/3 × 0.02 = 138,240 exactly.
fn reproduces_automqs_published_kafka_cross_az_cost_at_1_gib_per_second() {
    assert_eq!(automq_example_cross_az(1024.0, Platform::SelfManaged, true), dec!(138240));
}

#[test]
/// Derived, not published. AutoMQ's article "The Hidden Cloud Cost You Never Noticed in Your Kafka Bill"
/// (https://www.automq.com/blog/kafka-cross-az-hidden-cost) publishes only a range for 100 MiB/s written, RF 3,
/// three zones and three consumer groups: "$14,000 to $24,000 per month", depending on fetch-from-follower.
/// Derived here by hand from those inputs, a 30-day month and $0.02 per GiB crossing:
/// written 100 MiB/s × 2,592,000 s = 253,125 GiB;
/// consumers crossing (no fetch-from-follower): 253,125 × (2/3 + 2 + 3 × 2/3) × 0.02 = $23,625;
/// consumers local (fetch-from-follower): 253,125 × (2/3 + 2) × 0.02 = $13,500;
/// on MSK, which bills no replication traffic, consumers crossing: 253,125 × (2/3 + 3 × 2/3) × 0.02 = $13,500.
/// The upper end of the published range is $24,000, about the first; its lower end, $14,000, about the second.
fn derives_the_cross_az_cost_of_automqs_100_mib_per_second_example_by_hand() {
    assert_eq!(automq_example_cross_az(100.0, Platform::SelfManaged, false).round_dp(6), dec!(23625));
    assert_eq!(automq_example_cross_az(100.0, Platform::SelfManaged, true).round_dp(6), dec!(13500));
    assert_eq!(automq_example_cross_az(100.0, Platform::Msk, false).round_dp(6), dec!(13500));
}

/// Within `tolerance` (a fraction) of `published`.
fn within(ours: Decimal, published: Decimal, tolerance: Decimal) -> bool {
    ((ours - published) / published).abs() <= tolerance
}

#[test]
/// Published: AutoMQ, "AutoMQ vs. Apache Kafka Benchmarks and Cost"
/// (https://www.automq.com/docs/automq/benchmarks/automq-vs-apache-kafka-benchmarks-and-cost), monthly TCO at
/// 1 GiB/s produced and consumed, one topic of 256 partitions, one consumer group, three zones, RF 3:
///
/// | line | AutoMQ | Apache Kafka |
/// |---|---|---|
/// | compute | $2,859 | $18,447 |
/// | storage | $5,961 | $69,984 |
/// | S3 API | $3,952 | $0 |
/// | cross-AZ | $128 | $138,240 |
///
/// Inputs the page states or its figures fix: 6 AutoMQ nodes of m7g.4xlarge ("$476.544 per month" = $0.6528 ×
/// 730 h); 3 days retained (AutoMQ's storage is 1 GiB/s × 259,200 s = 259,200 GiB × $0.023 = $5,961.6); a 30-day
/// month for traffic ($138,240 = 2,592,000 GiB × 8/3 × $0.02); AutoMQ's S3 rates measured at 500 MB/s, doubled
/// for 1 GiB/s (147.3 × 2 = 294.6 PUT/s and 63.6 × 2 = 127.2 GET/s: per GiB written, 294.6 and 127.2). Matched
/// here through config: month_hours 720, shared_min_brokers 6, the S3 rates per GiB, and Kafka's disk at
/// 8/9 utilisation ($69,984 = 777,600 GiB × $0.08 × 9/8; the page gives neither the EBS price nor a headroom).
/// Not reproducible from the page, documented in docs/cost-model.md: Kafka's compute (no instance type or count
/// is given) and AutoMQ's $128 cross-AZ (not broken down).
fn reproduces_automqs_published_1_gib_per_second_table_line_by_line() {
    let gib_per_s = 1_073_741_824.0;
    let t = TopicInputs {
        retained_bytes: Some(259_200 * 1_073_741_824),
        retention_ms: Some(3 * 86_400_000),
        bytes_in_per_sec: Some(gib_per_s),
        messages_retained: None,
        groups: groups(1),
        placement: Placement::rack_aware(256, 3, &abc()),
        ..topic()
    };
    let c = ClusterInputs {
        cluster_bytes_in_per_sec: gib_per_s,
        read_bytes_per_sec: gib_per_s,
        ..cluster(Platform::SelfManaged)
    };
    let a = Assumptions {
        month_hours: dec!(720),
        fetch_from_follower: true,
        target_disk_utilization: Decimal::from(8) / Decimal::from(9),
        shared_min_brokers: Some(6),
        shared_s3_puts_per_gib: dec!(294.6),
        shared_s3_gets_per_gib: dec!(127.2),
        ..Assumptions::default()
    };
    let sum = |cost: &CostBreakdown, names: &[&str]| -> Decimal {
        cost.components.iter().filter(|x| names.contains(&x.name.as_str())).map(|x| x.monthly_usd).sum()
    };
    let two_percent = dec!(0.02);
    let kafka = broker_local(&t, &c, &a, &book());
    let automq = shared_storage(&t, &c, &a, &book());
    // Apache Kafka
    let storage = sum(&kafka, &["retained_storage", "disk_headroom"]);
    assert!(within(storage, dec!(69984), two_percent), "Kafka storage {storage}");
    assert_eq!(cross_az(&kafka), dec!(138240), "Kafka cross-AZ, exactly");
    assert!(kafka.components.iter().all(|x| !x.name.as_str().starts_with("s3_")), "Kafka has no S3 API line");
    // AutoMQ: 6 × 720 h × $0.6528 = $2,820.10 (the page's 730 h month gives $2,859): −1.4 %
    let compute = sum(&automq, &["broker_compute"]);
    assert_eq!(compute.round_dp(2), dec!(2820.10));
    assert!(within(compute, dec!(2859), two_percent), "AutoMQ compute {compute}");
    // 259,200 GiB × $0.023 = $5,961.60, and the WAL: 10 GiB × 6 brokers × $0.08 = $4.80
    let storage = sum(&automq, &["s3_storage", "wal_volume"]);
    assert_eq!(storage, dec!(5966.40));
    assert!(within(storage, dec!(5961), two_percent), "AutoMQ storage {storage}");
    // 2,592,000 GiB × 294.6 = 763,603,200 PUTs × $0.000005 = $3,818.016; × 127.2 = 329,702,400 GETs ×
    // $0.0000004 = $131.88096: $3,949.89696
    let api = sum(&automq, &["s3_put", "s3_get"]);
    assert_eq!(api, dec!(3949.89696));
    assert!(within(api, dec!(3952), two_percent), "AutoMQ S3 API {api}");
    assert_eq!(cross_az(&automq), Decimal::ZERO, "zone-aware clients: the page's $128 is not broken down");

    // The documented differences at the defaults: AutoMQ's rates per 500 MiB/s scaled to 1,024 MiB/s (301.6704
    // PUTs and 130.2528 GETs per GiB) give 2,592,000 × (301.6704 × 0.000005 + 130.2528 × 0.0000004) =
    // $3,909.648384 + $135.046103 = $4,044.694487, 2.3 % above the page, which doubles the 500 MB/s sample for 1 GiB/s; and Kafka's disk at
    // the default 0.6 utilisation is 777,600 GiB × $0.08 ÷ 0.6 = $103,680.
    let defaults = Assumptions { month_hours: dec!(720), ..Assumptions::default() };
    let api = sum(&shared_storage(&t, &c, &defaults, &book()), &["s3_put", "s3_get"]);
    assert_eq!(api.round_dp(2), dec!(4044.69));
    let storage = sum(&broker_local(&t, &c, &defaults, &book()), &["retained_storage", "disk_headroom"]);
    assert_eq!(storage.round_dp(2), dec!(103680.00));
}

#[test]
fn fetch_from_follower_needs_a_replica_in_every_zone() {
    let a = Assumptions { fetch_from_follower: true, ..Assumptions::default() };
    let book = book();
    let rf2 = TopicInputs { replication_factor: 2, placement: Placement::rack_aware(6, 2, &abc()), ..topic() };
    let cost = broker_local(&rf2, &cluster(Platform::SelfManaged), &a, &book);
    assert!(component(&cost, "inter_az_consume").monthly_usd > Decimal::ZERO, "RF 2 over 3 zones");
    let cost = broker_local(&topic(), &cluster(Platform::SelfManaged), &a, &book);
    assert_eq!(component(&cost, "inter_az_consume").monthly_usd, Decimal::ZERO);
}

#[test]
fn broker_local_on_self_managed_kafka_by_hand() {
    let book = book();
    let cost = broker_local(&topic(), &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
    // 100 GiB × RF 3 = 300 GiB-month × $0.08 = $24
    assert_eq!(component(&cost, "retained_storage").monthly_usd, dec!(24));
    // headroom at u = 0.6: 300 × (1/0.6 − 1) = 200 GiB-month × $0.08 = $16
    assert_eq!(component(&cost, "disk_headroom").monthly_usd.round_dp(2), dec!(16));
    // written: 1 MiB/s × 3600 × 730 = 2,628,000 MiB = 2566.40625 GiB
    // replication: 2566.40625 × (3 − 1) × 1 = 5132.8125 GiB × $0.02 = $102.65625
    assert_eq!(component(&cost, "inter_az_replication").monthly_usd, dec!(102.65625));
    // produce: 2566.40625 × 2/3 × $0.02 = $34.21875
    assert_eq!(component(&cost, "inter_az_produce").monthly_usd.round_dp(5), dec!(34.21875));
    // consume: 2566.40625 × 2 groups × 2/3 × $0.02 = $68.4375
    assert_eq!(component(&cost, "inter_az_consume").monthly_usd.round_dp(4), dec!(68.4375));
    // compute: 6 brokers × 730 h × (1 MiB/s ÷ 4 MiB/s) = 1095 broker-hours × $0.84 = $919.80
    assert_eq!(component(&cost, "broker_compute").quantity, dec!(1095));
    assert_eq!(component(&cost, "broker_compute").monthly_usd, dec!(919.8));
    let sum: Decimal = cost.components.iter().map(|c| c.monthly_usd).sum();
    assert_eq!(cost.monthly_usd, sum);
    assert!(cost.missing.is_empty());
}

#[test]
fn msk_does_not_bill_replication_and_prices_storage_as_msk_storage() {
    let book = book();
    let cost = broker_local(&topic(), &cluster(Platform::Msk), &Assumptions::default(), &book);
    assert_eq!(component(&cost, "inter_az_replication").monthly_usd, dec!(0));
    // 300 GiB-month × $0.10 = $30
    assert_eq!(component(&cost, "retained_storage").monthly_usd, dec!(30));
    assert_eq!(
        component(&cost, "retained_storage").price_key,
        "msk.storage".parse::<crate::prices::PriceKey>().unwrap()
    );
}

#[test]
fn shared_storage_by_hand() {
    let book = book();
    let cost = shared_storage(&topic(), &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
    // one copy: 100 GiB × $0.023 = $2.30
    assert_eq!(component(&cost, "s3_storage").monthly_usd, dec!(2.3));
    // PUTs at AutoMQ's measured 147.3 per second per 500 MiB/s written: 1 MiB/s × 147.3 / 500 = 0.2946 PUT/s
    // × 3,600 × 730 s = 774,208.8 PUTs × $0.000005 = $3.871044
    assert_eq!(component(&cost, "s3_put").quantity, dec!(774208.8));
    assert_eq!(component(&cost, "s3_put").monthly_usd, dec!(3.871044));
    // GETs: measured 63.6 per second per 500 MiB/s: 0.1272 GET/s × 2,628,000 s = 334,281.6 (compaction and the
    // first group); the second group reads 0.1 of 2,628,000 MiB from S3 in 4 MiB GETs: 65,700.
    // 399,981.6 × $0.0000004 = $0.15999264
    assert_eq!(component(&cost, "s3_get").quantity, dec!(399981.6));
    assert_eq!(component(&cost, "s3_get").monthly_usd, dec!(0.159993));
    // Brokers, sized: out = 4 MiB/s uploaded + 2 compacted + 8 read = 14 MiB/s, one m7g.4xlarge's 960 MiB/s
    // is plenty, but zone routing wants one per zone: 3.
    // WAL: 10 GiB × 3 brokers × 1/4 = 7.5 GiB-month × $0.08 = $0.60
    assert_eq!(component(&cost, "wal_volume").monthly_usd, dec!(0.6));
    // Compute: 3 × 730 h × 1/4 = 547.5 broker-hours of m7g.4xlarge × $0.6528 = $357.408
    assert_eq!(component(&cost, "broker_compute").quantity, dec!(547.5));
    assert_eq!(component(&cost, "broker_compute").monthly_usd, dec!(357.408));
    assert_eq!(
        component(&cost, "broker_compute").price_key,
        "ec2.instance.m7g.4xlarge".parse::<crate::prices::PriceKey>().unwrap()
    );
    assert!(cost.components.iter().all(|c| !c.name.as_str().starts_with("inter_az")));
    // The vendor's subscription: always shown, $0 until a price is set; 2566.40625 GiB written.
    let vendor = component(&cost, "vendor_subscription");
    assert_eq!((vendor.quantity, vendor.monthly_usd), (dec!(2566.40625), dec!(0)));
    let priced = book_with(&[("shared.vendor.gib_written", dec!(0.01))]);
    let cost = shared_storage(&topic(), &cluster(Platform::SelfManaged), &Assumptions::default(), &priced);
    // 2566.40625 × $0.01 = $25.6640625, kept to 6 places half to even
    assert_eq!(component(&cost, "vendor_subscription").monthly_usd, dec!(25.664062));
}

#[test]
fn shared_storage_without_zone_aware_clients_pays_client_traffic_like_today() {
    let book = book();
    let a = Assumptions { zone_aware_clients: false, ..Assumptions::default() };
    let c = cluster(Platform::SelfManaged);
    let shared = shared_storage(&topic(), &c, &a, &book);
    let local = broker_local(&topic(), &c, &a, &book);
    for name in ["inter_az_produce", "inter_az_consume"] {
        assert_eq!(component(&shared, name), component(&local, name), "{name}");
    }
    // and still no replication traffic: one copy in S3
    assert!(shared.components.iter().all(|x| x.name != "inter_az_replication"));
}

#[test]
fn unknown_sizes_and_rates_are_named_not_zeroed() {
    let book = book();
    let t = TopicInputs { retained_bytes: None, partitions_size_unknown: 2, bytes_in_per_sec: None, ..topic() };
    let cost = broker_local(&t, &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
    assert!(cost.components.is_empty());
    assert_eq!(cost.missing.len(), 2);
    assert_eq!(cost.missing[0].reason, Reason::SizeNotCollected { partitions: 2 }, "{:?}", cost.missing);
    assert_eq!(cost.missing[0].to_string(), "storage: size on disk not collected for 2 partition(s)");
}

#[test]
fn an_internal_topic_needs_no_write_rate_and_a_workload_topic_does() {
    // 100 GiB × RF 3 on MSK storage at $0.10: $30.00 retained, with headroom at u = 0.6 (× 2/3) $20.00 more.
    let book = book();
    let c = cluster(Platform::Msk);
    let a = Assumptions { target_disk_utilization: Decimal::new(6, 1), ..Assumptions::default() };
    let internal = TopicInputs { bytes_in_per_sec: None, internal: true, ..topic() };
    let cost = broker_local(&internal, &c, &a, &book);
    assert!(cost.missing.is_empty(), "{:?}", cost.missing);
    assert_eq!(cost.monthly_usd.round_dp(2), Decimal::new(5000, 2), "{:?}", cost.components);
    // The same topic as a workload's: its rate-driven components are unknown, and said to be.
    let workload = TopicInputs { internal: false, ..internal };
    let cost = broker_local(&workload, &c, &a, &book);
    assert_eq!(cost.missing, vec![Missing { part: Part::Traffic, reason: Reason::NoWriteRate }]);
}

const GIB_BYTES: i64 = 1_073_741_824;

/// The topic with 4 partitions of even share at a 5 GiB `retention.bytes` each: 20 GiB retained.
fn at_its_size_bound() -> TopicInputs {
    TopicInputs {
        retained_bytes: Some(20 * GIB_BYTES),
        retention_bytes: Some(5 * GIB_BYTES),
        placement: Placement::rack_aware(4, 3, &abc()),
        ..topic()
    }
}

#[test]
fn retention_bytes_bounds_what_a_shorter_or_longer_retention_keeps() {
    // 4 partitions of even share, 1 MiB/s written: 0.25 MiB/s each. 7 days' writes per partition: 0.25 × 604,800 =
    // 151,200 MiB, far above a 5 GiB (5,120 MiB) `retention.bytes`: the size bound holds, 20 GiB retained.
    let (gib, t) = (GIB_BYTES, at_its_size_bound());
    // 24 h: 0.25 × 86,400 = 21,600 MiB a partition, still above 5,120: nothing changes.
    assert_eq!(t.retained_ratio(Decimal::ONE / dec!(7), Decimal::ONE), Some(Decimal::ONE));
    // 1 h (1/168 of 7 d): 0.25 × 3,600 = 900 MiB a partition, below the bound: 900 / 5,120 = 0.17578125.
    let hour = t.retained_ratio(Decimal::ONE / dec!(168), Decimal::ONE).unwrap();
    assert_eq!(hour.round_dp(8), dec!(0.17578125));
    // Longer retention, or faster writes, cannot keep more than the bound.
    assert_eq!(t.retained_ratio(dec!(2), Decimal::ONE), Some(Decimal::ONE));
    assert_eq!(t.retained_ratio(Decimal::ONE, dec!(2)), Some(Decimal::ONE));
    // Without a size bound, time alone: × the factor.
    let unbounded = TopicInputs { retention_bytes: Some(-1), ..t.clone() };
    assert_eq!(unbounded.retained_ratio(Decimal::ONE / dec!(7), Decimal::ONE), Some(Decimal::ONE / dec!(7)));
    // No write rate: a partition below its bound (1 GiB of 5) is time-bound and grows to the bound at most
    // (× 2: 2 GiB; × 10: 5 GiB); one at its bound cannot be told, and the bytes become unknown, said to be.
    let quiet = TopicInputs { retained_bytes: Some(4 * gib), bytes_in_per_sec: None, ..t.clone() };
    assert_eq!(quiet.retained_ratio(dec!(2), Decimal::ONE), Some(dec!(2)));
    assert_eq!(quiet.retained_ratio(dec!(10), Decimal::ONE), Some(dec!(5)));
    let full = TopicInputs { bytes_in_per_sec: None, ..t.clone() };
    assert_eq!(full.retained_ratio(Decimal::ONE / dec!(7), Decimal::ONE), None);
    let changed = full.with_retention_factor(Decimal::ONE / dec!(7));
    assert_eq!(changed.retained_bytes, None);
    let a = Assumptions::default();
    let cost = broker_local(&changed, &cluster(Platform::Msk), &a, &book());
    assert!(cost.missing.iter().any(|m| m.reason == Reason::BoundUnknown), "{:?}", cost.missing);
}

#[test]
fn a_size_bound_topic_keeps_its_bytes_in_a_tiered_local_window() {
    // The same 20 GiB at its 5 GiB-a-partition bound holds 5,120 MiB ÷ 0.25 MiB/s = 20,480 s (5.7 h) of writes: a
    // 24 h local window keeps all of it on local disk (not 24 h / 7 d of it).
    let (gib, t) = (GIB_BYTES, at_its_size_bound());
    let window = Some(Decimal::from(86_400_000));
    assert_eq!(tiered::local_bytes(Decimal::from(20 * gib), &t, window), Decimal::from(20 * gib));
    let unbounded = TopicInputs { retention_bytes: Some(-1), ..t };
    assert_eq!(
        tiered::local_bytes(Decimal::from(20 * gib), &unbounded, window).round_dp(6),
        (Decimal::from(20 * gib) / dec!(7)).round_dp(6)
    );
}

#[test]
fn a_missing_broker_price_is_flagged() {
    let book = book();
    let c = ClusterInputs {
        broker_price_key: "msk.broker.kafka.x9.huge".parse::<crate::prices::PriceKey>().unwrap(),
        ..cluster(Platform::Msk)
    };
    let cost = broker_local(&topic(), &c, &Assumptions::default(), &book);
    assert!(cost.components.iter().all(|x| x.name != "broker_compute"));
    let key = "msk.broker.kafka.x9.huge".parse::<PriceKey>().unwrap();
    let wanted = Missing { part: Part::Component(Component::BrokerCompute), reason: Reason::NoPrice(key) };
    assert!(cost.missing.contains(&wanted), "{:?}", cost.missing);
    assert_eq!(wanted.to_string(), "broker_compute: no price `msk.broker.kafka.x9.huge` in the price book");
}

#[test]
fn tiered_storage_on_self_managed_kafka_by_hand() {
    let c = cluster(Platform::SelfManaged);
    let tiered = tiered_storage(&topic(), &c, &Assumptions::default(), &book()).unwrap();
    // local window 24 h of 7 days: 100 GiB / 7 × RF 3 = 42.857143 GiB-month × $0.08 = $3.428571
    assert_eq!(component(&tiered, "retained_storage").monthly_usd, dec!(3.428571));
    // headroom at u = 0.6: 42.857143 × 2/3 GiB-month × $0.08 = $2.285714
    assert_eq!(component(&tiered, "disk_headroom").monthly_usd, dec!(2.285714));
    // every rolled segment in S3, one copy: 100 GiB × $0.023 = $2.30
    assert_eq!(component(&tiered, "remote_storage").monthly_usd, dec!(2.3));
    // uploads: 2,628,000 MiB ÷ 8 MiB = 328,500 PUTs × $0.000005 = $1.6425
    assert_eq!(component(&tiered, "remote_put").monthly_usd, dec!(1.6425));
    // both groups are caught up: nothing read from S3
    assert_eq!(component(&tiered, "remote_reads").quantity, dec!(0));
    // traffic and compute as broker-local
    let local = broker_local(&topic(), &c, &Assumptions::default(), &book());
    for name in ["inter_az_replication", "inter_az_produce", "inter_az_consume", "broker_compute"] {
        assert_eq!(component(&tiered, name), component(&local, name), "{name}");
    }
}

#[test]
fn a_group_further_behind_than_the_local_window_reads_from_remote_storage() {
    // records: 100 GiB / (100 × 2^20) = 1 KiB; at 1 MiB/s that is 1,024 records/s. Two days behind:
    // 2 × 86,400 × 1,024 = 176,947,200 messages > 24 h of window.
    let mut t = topic();
    t.groups[0].lag = Some(176_947_200);
    t.groups[1].lag = Some(1_024 * 3_600); // one hour behind: reads from the brokers
    assert_eq!(groups_behind(&t, local_window_ms(&t, &Assumptions::default())), 1);
    let tiered = tiered_storage(&t, &cluster(Platform::SelfManaged), &Assumptions::default(), &book()).unwrap();
    // 2,628,000 MiB × 1 group ÷ 4 MiB = 657,000 GETs × $0.0000004 = $0.2628
    assert_eq!(component(&tiered, "remote_reads").quantity, dec!(657000));
    assert_eq!(component(&tiered, "remote_reads").monthly_usd, dec!(0.2628));
}

#[test]
fn msk_tiers_only_topics_kept_3_days_or_more_with_a_shorter_local_window() {
    let a = Assumptions::default(); // local window 24 h
    let msk = cluster(Platform::Msk);
    let day = 86_400_000;
    // 2 days kept: below MSK's 3-day least retention, on MSK only.
    let short = TopicInputs { retention_ms: Some(2 * day), ..topic() };
    let err = tiered_storage(&short, &msk, &a, &book()).unwrap_err().to_string();
    assert!(err.contains("at least 3 days") && err.contains("2 d"), "{err}");
    assert!(tiered_storage(&short, &cluster(Platform::SelfManaged), &a, &book()).is_ok());
    // 3 days exactly, unlimited, and 7 days with the 24 h window: eligible.
    for r in [3 * day, -1, 7 * day] {
        assert!(tiered_storage(&TopicInputs { retention_ms: Some(r), ..topic() }, &msk, &a, &book()).is_ok(), "{r}");
    }
    // A what-if local window of 4 days on 3 days kept: not below retention.
    let wide = TopicInputs { retention_ms: Some(3 * day), tiered_window_ms: Some(4 * day), ..topic() };
    let err = tiered_storage(&wide, &msk, &a, &book()).unwrap_err().to_string();
    assert!(err.contains("below retention.ms"), "{err}");
    // Tiered today with local.retention.ms = −2 (a copy in each tier, expiring together): allowed.
    let both = TopicInputs { retention_ms: Some(3 * day), tiered_today: Some(-2), ..topic() };
    assert!(tiered_storage(&both, &msk, &a, &book()).is_ok());
}

#[test]
fn compacted_topics_cannot_be_tiered_and_msk_needs_its_tiered_prices() {
    let compacted = TopicInputs { compacted: true, ..topic() };
    let err = tiered_storage(&compacted, &cluster(Platform::Msk), &Assumptions::default(), &book()).unwrap_err();
    assert_eq!(err, NotTierable::Compacted);
    let err = err.to_string();
    assert!(err.contains("compacted"), "{err}");
    // A book without MSK's tiered-storage price (a region outside the bundled book): missing, never $0.
    let mut without = book();
    without.prices.retain(|p| p.key != FixedPrice::MskTieredStorage.into());
    let msk = tiered_storage(&topic(), &cluster(Platform::Msk), &Assumptions::default(), &without).unwrap();
    assert!(
        msk.missing.iter().any(|m| m.reason == Reason::NoPrice(FixedPrice::MskTieredStorage.into())),
        "{:?}",
        msk.missing
    );
    assert!(msk.components.iter().all(|c| c.name != "remote_storage"), "missing, not $0");
}

fn named(zones: &[(&str, Decimal)]) -> Clients {
    Clients {
        zones: Some(ClientZones::Named(
            zones.iter().map(|(z, s)| ZoneShare { zone: z.to_string(), share: *s }).collect(),
        )),
        source: ZoneSource::Configured,
    }
}

#[test]
fn fetch_from_follower_and_zones_per_group_and_producer_zones_per_owner() {
    // RF 2, six partitions: leaders a, b, c, a, b, c; followers b, c, a, b, c, a (each zone holds 4 of the 12
    // replicas; every partition is missing from exactly one zone).
    let mut t = TopicInputs { replication_factor: 2, placement: Placement::rack_aware(6, 2, &abc()), ..topic() };
    t.producers = named(&[("a", dec!(1))]);
    t.groups[0].fetch_from_follower = Some(true);
    t.groups[1].clients = named(&[("a", dec!(0.5)), ("b", dec!(0.5))]);
    let cost = broker_local(&t, &cluster(Platform::SelfManaged), &Assumptions::default(), &book());
    // written 2566.40625 GiB. Producers all in a; a leads 2 of 6 equal partitions: 4/6 cross → 1710.9375 GiB
    // (the old formula, "one client zone crosses nothing", said 0).
    assert_eq!(component(&cost, "inter_az_produce").quantity, dec!(1710.9375));
    // Replication: one follower per partition, always in another zone: 2566.40625 GiB.
    assert_eq!(component(&cost, "inter_az_replication").quantity, dec!(2566.40625));
    // Group 0, evenly in a, b, c, fetches from followers: a partition is local in the 2 zones holding it: ⅓
    // crosses. Group 1, half in a and half in b, reads leaders: P(same zone) = ½ × 2/6 + ½ × 2/6 = ⅓: ⅔ cross
    // (the old formula: ½). 2566.40625 × (⅓ + ⅔) = 2566.40625 GiB.
    assert_eq!(component(&cost, "inter_az_consume").quantity, dec!(2566.40625));
}

#[test]
fn skewed_leaders_clients_in_a_zone_without_brokers_and_unknown_racks() {
    // Two partitions: p0 carries 0.75 of the bytes, leader in a, followers b, c; p1 0.25, leader in b,
    // followers a, a (two replicas share zone a).
    let place = |share: Decimal, leader: &str, followers: [&str; 2]| PartitionPlace {
        share,
        brokers: vec![],
        leader_broker: None,
        leader: Some(leader.into()),
        followers: followers.iter().map(|f| Some(f.to_string())).collect(),
    };
    let placement = Placement {
        partitions: vec![place(dec!(0.75), "a", ["b", "c"]), place(dec!(0.25), "b", ["a", "a"])],
        basis: WeightBasis::Bytes,
    };
    let mut t = TopicInputs { placement, groups: groups(1), ..topic() };
    // Producers: 0.8 in a, 0.2 in d, where no broker runs. Local: 0.8 × 0.75 = 0.6; crossing 0.4.
    t.producers = named(&[("a", dec!(0.8)), ("d", dec!(0.2))]);
    // The group, all in c, fetches from followers: p0 has a replica in c, p1 does not: 0.25 crosses.
    t.groups[0].clients = named(&[("c", dec!(1))]);
    t.groups[0].fetch_from_follower = Some(true);
    let c = cluster(Platform::SelfManaged);
    let cost = broker_local(&t, &c, &Assumptions::default(), &book());
    // written 2566.40625 GiB
    assert_eq!(component(&cost, "inter_az_produce").quantity, dec!(1026.5625)); // × 0.4
    // × 0.25 = 641.6015625, which quantities keep to 6 places (half to even): 641.601562
    assert_eq!(component(&cost, "inter_az_consume").quantity, dec!(641.601562));
    // replication: p0's followers b, c are both away from a; p1's two followers share zone a, both away from
    // its leader's b: 0.75 × 2 + 0.25 × 2 = 2 crossings per byte → 5132.8125 GiB
    assert_eq!(component(&cost, "inter_az_replication").quantity, dec!(5132.8125));
    // Shared storage, zone-aware: only the producers in d cross (0.2 → 513.28125 GiB); the group in c has a
    // broker in its zone.
    let shared = shared_storage(&t, &c, &Assumptions::default(), &book());
    assert_eq!(component(&shared, "inter_az_produce").quantity, dec!(513.28125));
    assert!(shared.components.iter().all(|x| x.name != "inter_az_consume"), "{shared:?}");

    // A leader whose broker reports no rack: the client lines are missing, not zero.
    t.placement.partitions[1].leader = None;
    let cost = broker_local(&t, &c, &Assumptions::default(), &book());
    assert!(cost.components.iter().all(|x| x.name != "inter_az_produce"), "{cost:?}");
    assert!(
        cost.missing.iter().any(|m| m.part == Part::Component(Component::InterAzProduce)
            && m.to_string().starts_with("inter_az_produce: ")
            && m.to_string().contains("no rack")),
        "{cost:?}"
    );
}

#[test]
fn doubling_retention_doubles_what_is_stored_and_nothing_else() {
    let c = cluster(Platform::SelfManaged);
    let a = Assumptions::default();
    let once = broker_local(&topic(), &c, &a, &book());
    let twice = broker_local(&topic().with_retention_factor(dec!(2)), &c, &a, &book());
    for name in ["retained_storage", "disk_headroom"] {
        assert_eq!(component(&twice, name).monthly_usd, component(&once, name).monthly_usd * dec!(2), "{name}");
    }
    for name in ["inter_az_replication", "inter_az_produce", "inter_az_consume", "broker_compute"] {
        assert_eq!(component(&twice, name), component(&once, name), "{name}");
    }
}

#[test]
fn throughput_and_iops_above_the_gp3_baseline_are_priced_by_share_of_disk_writes() {
    let book = book();
    // 6 brokers take in 12 MiB/s × RF: 2 MiB/s each, far below 125 MiB/s: nothing above the baseline.
    let quiet = broker_local(&topic(), &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
    assert!(quiet.components.iter().all(|c| c.name != "ebs_throughput" && c.name != "ebs_iops"));
    // 1,200 MiB/s of disk writes over 6 brokers: 200 MiB/s each, 75 over the baseline; 6 × 75 = 450 MiB/s-month
    // for the cluster, of which this topic (3 MiB/s of the 1,200) has 1/400: 1.125 MiB/s-month × $0.04 = $0.045.
    // IOPS: 200 MiB/s ÷ 256 KiB = 800 per broker, under 3,000: none.
    let busy = ClusterInputs { disk_write_bytes_per_sec: 1200.0 * 1_048_576.0, ..cluster(Platform::SelfManaged) };
    let cost = broker_local(&topic(), &busy, &Assumptions::default(), &book);
    assert_eq!(component(&cost, "ebs_throughput").quantity, dec!(1.125));
    assert_eq!(component(&cost, "ebs_throughput").monthly_usd, dec!(0.045));
    assert!(cost.components.iter().all(|c| c.name != "ebs_iops"));
    // With 64 KiB I/Os: 3,200 IOPS per broker, 200 over: 1,200 for the cluster, 3 IOPS-month here × $0.005.
    let small_io = Assumptions { ebs_io_kib: dec!(64), ..Assumptions::default() };
    let cost = broker_local(&topic(), &busy, &small_io, &book);
    assert_eq!(component(&cost, "ebs_iops").quantity, dec!(3));
    assert_eq!(component(&cost, "ebs_iops").monthly_usd, dec!(0.015));
    // MSK prices storage throughput separately: no gp3 lines there.
    let msk = ClusterInputs { platform: Platform::Msk, ..busy };
    let cost = broker_local(&topic(), &msk, &Assumptions::default(), &book);
    assert!(cost.components.iter().all(|c| c.name != "ebs_throughput"));
}

#[test]
fn shared_storage_brokers_are_sized_by_throughput_and_never_fewer_than_one_per_zone() {
    // m7g.4xlarge at 960 MiB/s planned at 80 % (768 MiB/s), compaction 0.5, zone-aware clients over 3 zones: each
    // zone's brokers carry a third.
    let a = Assumptions::default();
    let mib = 1_048_576.0;
    let sized_with = |a: &Assumptions, written: f64, read: f64| {
        let c = ClusterInputs {
            cluster_bytes_in_per_sec: written * mib,
            read_bytes_per_sec: read * mib,
            ..cluster(Platform::Msk)
        };
        c.shared_brokers(a)
    };
    let sized = |written: f64, read: f64| sized_with(&a, written, read);
    // 1 GiB/s written and read once: out 1,024 + 512 + 1,024 = 2,560 MiB/s, 853.3 a zone ÷ 768 = 1.11 → 2 a zone, 6:
    // AutoMQ's published 6 nodes for 1 GiB/s.
    assert_eq!(sized(1024.0, 1024.0), 6);
    // At 100 % of the baseline, AutoMQ's own 2.5× rule and 960 MiB/s give 3: 853.3 ÷ 960 = 0.89 → 1 a zone.
    let full = Assumptions { shared_target_network_utilization: Decimal::ONE, ..Assumptions::default() };
    assert_eq!(sized_with(&full, 1024.0, 1024.0), 3);
    // Clients that are not zone-aware spread over every broker: 2,560 ÷ 960 = 2.67 → 3 at 100 %.
    let anywhere = Assumptions { zone_aware_clients: false, ..full };
    assert_eq!(sized_with(&anywhere, 1024.0, 1024.0), 3);
    // 1 GiB/s read three times: 1,024 + 512 + 3,072 = 4,608, 1,536 a zone ÷ 768 = 2 → 6
    assert_eq!(sized(1024.0, 3072.0), 6);
    // 2 GiB/s read once: 5,120, 1,706.7 a zone ÷ 768 = 2.22 → 3 a zone, 9
    assert_eq!(sized(2048.0, 2048.0), 9);
    // Almost nothing: one broker per zone, 3
    assert_eq!(sized(1.0, 0.0), 3);
    // A floor set in [model]
    let floor = Assumptions { shared_min_brokers: Some(6), ..Assumptions::default() };
    let c = ClusterInputs { cluster_bytes_in_per_sec: mib, ..cluster(Platform::Msk) };
    assert_eq!(c.shared_brokers(&floor), 6);
}

#[test]
fn the_wal_is_a_volume_or_uploads_as_configured() {
    let c = cluster(Platform::SelfManaged);
    let wal = |kind: WalKind| {
        let a = Assumptions { wal: kind, ..Assumptions::default() };
        let cost = shared_storage(&topic(), &c, &a, &book());
        cost.components
            .iter()
            .find(|x| x.name.as_str().starts_with("wal_"))
            .map(|x| (x.name, x.quantity, x.monthly_usd))
            .ok_or(cost.missing)
    };
    // S3: 3 brokers (sized, see shared_storage_by_hand) × 730 h × 3,600 s × 4 uploads/s × ¼ write share =
    // 7,884,000 PUTs × $0.000005 = $39.42
    assert_eq!(wal(WalKind::S3), Ok((Component::WalPut, dec!(7884000), dec!(39.42))));
    // S3 Express One Zone: the same uploads to each of 3 one-zone buckets: 23,652,000 PUTs × $0.00000113 =
    // $26.72676; and every byte written uploaded 3 times: 2566.40625 GiB × 3 = 7699.21875 GiB × $0.0032 =
    // $24.6375
    assert_eq!(wal(WalKind::S3Express), Ok((Component::WalPut, dec!(23652000), dec!(26.72676))));
    let a = Assumptions { wal: WalKind::S3Express, ..Assumptions::default() };
    let express = shared_storage(&topic(), &c, &a, &book());
    assert_eq!(component(&express, "wal_upload").quantity, dec!(7699.21875));
    assert_eq!(component(&express, "wal_upload").monthly_usd, dec!(24.6375));
    assert_eq!(wal(WalKind::Ebs), Ok((Component::WalVolume, dec!(7.5), dec!(0.6))));
    let regional = wal(WalKind::RegionalDisk).unwrap_err();
    assert!(regional.iter().any(|m| m.reason == Reason::NoPrice(FixedPrice::WalRegionalDisk.into())), "{regional:?}");
}

/// Derived by hand from Kafka's retention rule: retention deletes rolled segments only, and a partition's active
/// segment rolls at `segment.bytes` or `segment.ms`, whichever comes first; so a partition written at `r_p` holds
/// `r_p × (R + T_p / 2)`, `T_p = min(segment.ms, segment.bytes ÷ r_p)` (Kafka topic configs `retention.ms`,
/// `segment.ms`, `segment.bytes`).
#[test]
fn retention_keeps_whole_segments_as_kafka_does() {
    const DAY_MS: i64 = 86_400_000;
    // 8,000 B/s over 12 partitions (666.67 B/s each), 30 days' retention, 1 GiB or 7-day segments: a 1 GiB
    // segment takes 1,073,741,824 ÷ 666.67 = 18.6 days to fill, so segment.ms rolls it at 7 days. At 24 h a
    // partition keeps 666.67 × (1 + 3.5) days × 86,400 = 259,200,000 B: 3,110,400,000 B over 12 partitions, not
    // today's bytes ÷ 30 (0.70 GB of 21 GB).
    let t = TopicInputs {
        retained_bytes: Some(21_000_000_000),
        bytes_in_per_sec: Some(8000.0),
        retention_ms: Some(30 * DAY_MS),
        segment_bytes: Some(1_073_741_824),
        segment_ms: Some(7 * DAY_MS),
        placement: Placement::rack_aware(12, 3, &abc()),
        ..topic()
    };
    let day = t.with_retention_factor(Decimal::ONE / dec!(30));
    assert_eq!(day.retained_bytes, Some(3_110_400_000));
    // segment.bytes binds first: 100 MiB segments at 1 MiB/s a partition roll every 100 s. One partition, 1 h:
    // 1,048,576 × (3,600 + 50) = 3,827,302,400 B.
    let fast = TopicInputs {
        retained_bytes: Some(4_000_000_000),
        bytes_in_per_sec: Some(1_048_576.0),
        retention_ms: Some(7 * DAY_MS),
        segment_bytes: Some(104_857_600),
        segment_ms: Some(7 * DAY_MS),
        placement: Placement::rack_aware(1, 3, &abc()),
        ..topic()
    };
    let hour = fast.with_retention_factor(Decimal::ONE / dec!(168));
    assert_eq!(hour.retained_bytes, Some(3_827_302_400));
    // A size bound under the time bound: retention.bytes 1 GiB holds 1 GiB + half a 100 MiB segment =
    // 1,126,170,624 B, whatever the retention.
    let capped = TopicInputs { retention_bytes: Some(1_073_741_824), ..fast.clone() };
    assert_eq!(capped.with_retention_factor(dec!(2)).retained_bytes, Some(1_126_170_624));
    // The tiered local window is the same steady state: 24 h of the 30-day topic keeps 3,110,400,000 B locally.
    let window = Some(Decimal::from(DAY_MS));
    assert_eq!(tiered::local_bytes(dec!(1e12), &t, window).round(), dec!(3_110_400_000));
    // No segment setting read: today's bytes scaled, as before (21 GB ÷ 30 = 0.70 GB).
    let unread = TopicInputs { segment_bytes: None, segment_ms: None, ..t };
    assert_eq!(unread.with_retention_factor(Decimal::ONE / dec!(30)).retained_bytes, Some(700_000_000));
}

/// Derived by hand: compaction removes records and leaves their offsets behind, so bytes ÷ offsets is no record size.
#[test]
fn a_lag_in_time_counts_records_where_compaction_left_gaps_in_the_offsets() {
    // 1,500 B records at one a second; compaction kept 1,000 of 7,895 offsets: 1,500,000 B ÷ 7,895 = 190 B "a
    // record". 3,600 offsets behind at MessagesInPerSec 1 is 3,600 s = 1 h (bytes ÷ offsets would say 7.6 min).
    let t = TopicInputs {
        compacted: true,
        deletes: true,
        retained_bytes: Some(1_500_000),
        messages_retained: Some(7_895),
        bytes_in_per_sec: Some(1_500.0),
        messages_in_per_sec: Some(1.0),
        ..topic()
    };
    assert_eq!(lag_ms(&t, 3_600), Some(dec!(3_600_000)));
    // Without the records metric, a compacted topic's lag in time is unknown, never the small figure.
    assert_eq!(lag_ms(&TopicInputs { messages_in_per_sec: None, ..t.clone() }, 3_600), None);
    // A delete topic without it keeps bytes ÷ offsets: 1,500 B a record there, 3,600 s.
    let delete = TopicInputs { compacted: false, messages_retained: Some(1_000), messages_in_per_sec: None, ..t };
    assert_eq!(lag_ms(&delete, 3_600), Some(dec!(3_600_000)));
}

/// Derived by hand: shortening retention frees nothing on a partition still filling to the shorter window.
#[test]
fn a_partition_still_filling_frees_no_disk() {
    // 1 GiB held at 1 MiB/s with 7-day segments: a day's retention would hold 1 MiB/s × (1 + 3.5) days = 379.7 GiB,
    // far over what it has: it frees 0, never a negative amount.
    let young = TopicInputs {
        retained_bytes: Some(1_073_741_824),
        segment_bytes: Some(1 << 40),
        segment_ms: Some(7 * 86_400_000),
        ..topic()
    };
    let freed = young.partition_freed(Decimal::ONE / dec!(7)).unwrap();
    assert!(freed.iter().all(|b| b.is_zero()), "{freed:?}");
}

#[test]
fn reproduces_awss_express_sizing_example_line_by_line() {
    // Published (MSK Developer Guide, "Best practices for Express brokers", "Right-size your cluster"): "if your
    // streaming application needs 45 MBps of data ingress (write) and 90 MBps data egress (read) capacity, you can
    // simply use 3 express.m7g.large brokers", each recommended for 15.6 MBps in and 31.2 MBps out (its table).
    let large = &EXPRESS_SIZES[0];
    assert_eq!(
        (large.instance_type, large.ingress_mbps, large.egress_mbps),
        ("express.m7g.large", dec!(15.6), dec!(31.2))
    );
    let (ingress, egress) = (dec!(45) * dec!(1_000_000), dec!(90) * dec!(1_000_000));
    // Ingress: 45 ÷ 15.6 = 2.88 → 3 brokers. Egress: 90 ÷ 31.2 = 2.88 → 3. Three zones: 3.
    assert_eq!(express_brokers(large, ingress, Decimal::ZERO, 0), 3);
    assert_eq!(express_brokers(large, Decimal::ZERO, egress, 0), 3);
    assert_eq!(express_brokers(large, ingress, egress, 0), 3);
    // The cheapest fleet for that load, at us-east-1's published prices: 3 × express.m7g.large at $0.408 = $1.224 an
    // hour; express.m7g.xlarge needs 45 ÷ 31.2 = 1.44 → 2, rounded up to 3 zones = 3 × $0.816 = $2.448.
    let c = ClusterInputs {
        cluster_bytes_in_per_sec: 45e6,
        read_bytes_per_sec: 90e6,
        partitions: 30,
        ..cluster(Platform::Msk)
    };
    let fleet = express_fleet(&c, &book()).unwrap();
    assert_eq!((fleet.size.instance_type, fleet.brokers), ("express.m7g.large", 3));
    // A step over a size's figure takes the next multiple of three: 47 MBps ÷ 15.6 = 3.01 → 4 → 6.
    assert_eq!(express_brokers(large, dec!(47) * dec!(1_000_000), Decimal::ZERO, 0), 6);
}

#[test]
fn express_brokers_are_also_sized_by_the_partition_quota_and_priced_per_topic_by_hand() {
    // Published (MSK quota, "Express broker partition quota"): 1,000 partitions per express.m7g.large, leaders and
    // followers; Express replicates every partition 3 times. 2,000 partitions = 6,000 replicas → 6 brokers.
    let large = &EXPRESS_SIZES[0];
    assert_eq!(express_brokers(large, Decimal::ZERO, Decimal::ZERO, 2_000 * 3), 6);
    // Little traffic, 2,000 partitions: large 6 × $0.408 = $2.448 an hour; 2xlarge 6,000 ÷ 2,500 = 2.4 → 3 ×
    // $1.632 = $4.896: large.
    let c = ClusterInputs { partitions: 2_000, ..cluster(Platform::Msk) };
    let fleet = express_fleet(&c, &book()).unwrap();
    assert_eq!((fleet.size.instance_type, fleet.brokers), ("express.m7g.large", 6));

    // The test topic (100 GiB retained, 1 MiB/s written of the cluster's 4 MiB/s, read twice), 730 h, on the test
    // cluster (4 MiB/s in, 8 MiB/s out, 30 partitions: 3 × express.m7g.large):
    // storage 100 GiB × $0.10 = $10; written 1 MiB/s × 3,600 × 730 = 2,628,000 MiB = 2,566.40625 GiB × $0.01 =
    // $25.6640625; brokers 3 × 730 h × 1/4 = 547.5 broker-hours × $0.408 = $223.38; replication free (MSK); clients
    // as on Kafka: producers and both groups to leaders spread over a, b, c from clients spread evenly: 2/3 cross,
    // 2,566.40625 × 2/3 × 3 directions-of-traffic (1 produce + 2 reads) × $0.02 (both sides) = $102.65625.
    let c = ClusterInputs { partitions: 30, ..cluster(Platform::Msk) };
    let cost = express(&topic(), &c, &Assumptions::default(), &book());
    assert!(cost.missing.is_empty(), "{:?}", cost.missing);
    assert_eq!(component(&cost, "express_storage").monthly_usd, dec!(10));
    // 25.6640625, kept to 6 decimals as every line is (half to even).
    assert_eq!(component(&cost, "express_data_written").monthly_usd, dec!(25.664062));
    let compute = component(&cost, "broker_compute");
    assert_eq!(
        (compute.quantity, compute.price_key.to_string()),
        (dec!(547.5), "msk.broker.express.m7g.large".to_string())
    );
    assert_eq!(compute.monthly_usd, dec!(223.38));
    assert_eq!(cross_az(&cost).round_dp(2), dec!(102.66));
    // A self-managed cluster moving to Express pays no replication either: MSK does not bill it.
    let self_managed = express(
        &topic(),
        &ClusterInputs { partitions: 30, ..cluster(Platform::SelfManaged) },
        &Assumptions::default(),
        &book(),
    );
    assert_eq!(cross_az(&self_managed), cross_az(&cost));
    // No Express price in the book: the brokers are missing, named, never $0.
    let mut without = book();
    without.prices.retain(|p| !p.key.to_string().starts_with("msk.broker.express."));
    let cost = express(&topic(), &c, &Assumptions::default(), &without);
    assert!(cost.components.iter().all(|c| c.name != "broker_compute"));
    assert!(cost.missing.iter().any(|m| m.part == Part::Component(Component::BrokerCompute)), "{:?}", cost.missing);
}
