//! Broker-local sizing beside today's bill: how many brokers and how much disk the cluster's own traffic and data
//! need on its instance type, so an over- or under-provisioned cluster shows as such. Pure.
//!
//! AWS's sizing approach for MSK Standard brokers (aws/agent-toolkit-for-aws, `managing-amazon-msk/references/
//! size-and-choose-cluster.md`, and the MSK Developer Guide's "Best practices for Standard brokers"): write I/O =
//! ingress × RF, divided by what one broker's volume sustains; the count rounded up to a multiple of the zones; and
//! the replicas within the recommended partitions per broker of the size. Peak, not mean: the write rate is taken
//! at a percentile of the metric points. Derived in docs/cost-model.md, "Broker-local sizing".

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, dec};

use crate::model::assumptions::Assumptions;
use crate::model::cost::{GIB, whole};

const MIB: Decimal = Decimal::from_parts(1_048_576, 0, 0, false, 0);

pub use crate::report_model::Bottleneck;

/// The cluster sized for its own load, beside what runs today.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// The percentile of the cluster's write-rate points taken as its peak.
    pub percentile: Decimal,
    /// Metric points (timestamps with every topic's rate) the peak was taken from; 0 = none, the mean is used.
    pub points: i64,
    /// The write rate sized for, bytes/s: the percentile, or the window's mean when there are no points.
    pub bytes_in_per_sec: Decimal,
    /// Writes the brokers' volumes take: the rate × each topic's RF, MiB/s.
    pub write_io_mibps: Decimal,
    /// What one broker's volume sustains, MiB/s (`broker_write_mibps`).
    pub per_broker_write_mibps: Decimal,
    pub brokers_for_writes: i64,
    /// Network at the peak, MiB/s, the busier direction: out = replication to followers + consumer reads, in =
    /// produce + replication from leaders.
    pub network_mibps: Decimal,
    /// One broker's network bandwidth, MiB/s (`broker_network_mibps`); None = not set, so not a bound.
    pub per_broker_network_mibps: Option<Decimal>,
    pub brokers_for_network: Option<i64>,
    /// Partition replicas (partitions × RF, summed over topics).
    pub replicas: i64,
    /// Recommended replicas per broker for the instance size; None when it is not known.
    pub partitions_per_broker: Option<i64>,
    pub brokers_for_partitions: Option<i64>,
    /// The largest of the above, rounded up to a multiple of the zones.
    pub brokers_needed: i64,
    pub bottleneck: Bottleneck,
    pub brokers_today: i64,
    /// Broker disk the bytes on it today need at the target utilisation `u`, GiB ([`disk_need`]): on MSK, which
    /// sets one volume size for every broker, the fullest broker's bytes ÷ u × brokers; self-managed, each broker's
    /// own ÷ u, summed. None when a partition's size is unknown.
    pub disk_gib_needed: Option<Decimal>,
    /// The broker holding the most bytes, and how many GiB: on MSK it sets every volume's size.
    pub fullest_broker: Option<i64>,
    pub fullest_broker_gib: Option<Decimal>,
    /// Broker storage provisioned today as the bill shows it: its storage class's GB-months per month (the billed
    /// quantity ÷ days billed × days in a month). None without a billed storage line.
    pub disk_gib_billed: Option<Decimal>,
    /// Priced with the cluster's prices (its bill's where it has them): the sized brokers and today's, a month of
    /// each, and the sized disk. None where a price is missing.
    pub compute_needed_monthly_usd: Option<Decimal>,
    pub compute_today_monthly_usd: Option<Decimal>,
    pub disk_needed_monthly_usd: Option<Decimal>,
}

impl Sizing {
    /// Prices the sizing: broker-hours at `broker_price`, disk at `storage_price` (USD per unit).
    pub fn priced(
        mut self,
        broker_price: Option<Decimal>,
        storage_price: Option<Decimal>,
        month_hours: Decimal,
    ) -> Self {
        let month = |brokers: i64| broker_price.map(|p| (Decimal::from(brokers) * month_hours * p).round_dp(2));
        self.compute_needed_monthly_usd = month(self.brokers_needed);
        self.compute_today_monthly_usd = month(self.brokers_today);
        self.priced_disk(storage_price)
    }

    /// Prices the disk needed at `storage_price` per GiB-month.
    pub fn priced_disk(mut self, storage_price: Option<Decimal>) -> Self {
        self.disk_needed_monthly_usd = storage_price.zip(self.disk_gib_needed).map(|(p, n)| (n * p).round_dp(2));
        self
    }

    /// The sizing with the disk its brokers need ([`disk_need`]).
    pub fn with_disk(self, need: DiskNeed) -> Self {
        Sizing {
            disk_gib_needed: need.gib,
            fullest_broker: need.fullest.map(|f| f.0),
            fullest_broker_gib: need.fullest.map(|f| f.1),
            ..self
        }
    }
}

/// What a cluster's broker volumes need for the bytes on them today.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiskNeed {
    /// GiB provisioned over all brokers; None when a broker's bytes are unknown.
    pub gib: Option<Decimal>,
    /// The fullest broker and its GiB (None when unknown, or no broker holds a byte).
    pub fullest: Option<(i64, Decimal)>,
}

/// The disk a cluster's `brokers` need for `bytes` on each (by broker id; a broker not named holds none; `None`
/// = unknown) at the target utilisation `u`. `uniform`: one volume size for every broker, as MSK provisions
/// (`BrokerEBSVolumeInfo` takes only the keyword `ALL`), so the fullest broker sets it: max ÷ u × brokers.
/// Otherwise each volume is sized on its own: Σ ÷ u.
pub fn disk_need(bytes: &[(i64, Option<i64>)], brokers: i64, uniform: bool, u: Decimal) -> DiskNeed {
    let known: Option<Vec<(i64, Decimal)>> =
        bytes.iter().map(|(b, v)| Some((*b, Decimal::from((*v)?) / GIB))).collect();
    let Some(known) = known else { return DiskNeed { gib: None, fullest: None } };
    let fullest = known.iter().copied().filter(|b| b.1 > Decimal::ZERO).fold(
        None,
        |best: Option<(i64, Decimal)>, b| match best {
            Some(x) if x.1 >= b.1 => Some(x),
            _ => Some(b),
        },
    );
    let gib = if uniform {
        fullest.map(|f| f.1).unwrap_or_default() * Decimal::from(brokers.max(known.len() as i64)) / u
    } else {
        known.iter().map(|b| b.1).sum::<Decimal>() / u
    };
    DiskNeed { gib: Some(gib.round_dp(3)), fullest: fullest.map(|(b, g)| (b, g.round_dp(3))) }
}

/// One topic's part in the sizing.
pub struct TopicLoad {
    pub partitions: i64,
    pub replication_factor: i64,
    pub bytes_in_per_sec: Option<f64>,
    pub retained_bytes: Option<i64>,
    /// Copies of what is written that its consumer groups read (one per reading group without a metric).
    pub reads: f64,
}

/// MSK's recommended partitions per Standard broker, leaders and followers (MSK Developer Guide, "Best practices
/// for Standard brokers", "Right-size your cluster: Number of partitions per Standard broker"), by instance size.
/// The same sizes of self-managed EC2 brokers are held to it. `None` for a size the table does not name.
pub fn partitions_per_broker(instance_type: &str) -> Option<i64> {
    let t = instance_type.strip_prefix("kafka.").unwrap_or(instance_type);
    let (family, size) = t.split_once('.')?;
    match (family, size) {
        ("t3", "small") => Some(300),
        ("m5" | "m7g", "large" | "xlarge") => Some(1000),
        ("m5" | "m7g", "2xlarge") => Some(2000),
        ("m5", "4xlarge" | "8xlarge" | "12xlarge" | "16xlarge" | "24xlarge") => Some(4000),
        ("m7g", "4xlarge" | "8xlarge" | "12xlarge" | "16xlarge") => Some(4000),
        _ => None,
    }
}

/// An instance's baseline network bandwidth, MiB/s in each direction: the EC2 "Network specifications" table
/// (Amazon EC2 Instance Types guide, general purpose instances, https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html,
/// "Baseline / Burst bandwidth (Gbps)"; the sizes that burst hold the baseline once their credits run out, "typically
/// from 5 to 60 minutes"; "Instance bandwidth specifications apply to both inbound and outbound traffic"). An MSK
/// broker (`kafka.m5.large`) is taken to have its EC2 size's figure: AWS publishes none for MSK's own types. `None`
/// for a size the table here does not name (set `broker_network_mibps`).
pub fn network_baseline_mibps(instance_type: &str) -> Option<Decimal> {
    let t = instance_type.strip_prefix("kafka.").unwrap_or(instance_type);
    let gbps = match t {
        "t3.small" => dec!(0.128),
        "m5.large" => dec!(0.75),
        "m5.xlarge" => dec!(1.25),
        "m5.2xlarge" => dec!(2.5),
        "m5.4xlarge" => dec!(5),
        "m5.8xlarge" => dec!(10),
        "m5.12xlarge" => dec!(12),
        "m5.16xlarge" => dec!(20),
        "m5.24xlarge" => dec!(25),
        "m7g.large" => dec!(0.937),
        "m7g.xlarge" => dec!(1.876),
        "m7g.2xlarge" => dec!(3.75),
        "m7g.4xlarge" => dec!(7.5),
        "m7g.8xlarge" => dec!(15),
        "m7g.12xlarge" => dec!(22.5),
        "m7g.16xlarge" => dec!(30),
        _ => return None,
    };
    // Gbps are 10^9 bits a second: × 10^9 ÷ 8 bytes, ÷ 2^20 for MiB.
    Some((gbps * dec!(1_000_000_000) / dec!(8) / dec!(1_048_576)).round_dp(3))
}

/// The `p`-th percentile (0 < p ≤ 100) of `values` by nearest rank; None when there are none.
pub fn percentile(values: &[f64], p: Decimal) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = Decimal::from(sorted.len() as i64);
    let rank = whole((p / Decimal::ONE_HUNDRED * n).ceil()).clamp(1, sorted.len() as i64);
    Some(sorted[(rank - 1) as usize])
}

/// Sizes a cluster of `brokers_today` brokers of `instance_type` over `zones` zones for its topics, at the
/// percentile of `rate_points` (the cluster's write rate at each metric timestamp), or at the mean of the topics'
/// rates when there are no points.
pub fn size(
    topics: &[TopicLoad],
    rate_points: &[f64],
    instance_type: &str,
    brokers_today: i64,
    zones: i64,
    a: &Assumptions,
) -> Sizing {
    let mean: f64 = topics.iter().filter_map(|t| t.bytes_in_per_sec).sum();
    let peak = percentile(rate_points, a.sizing_percentile).unwrap_or(mean);
    // Write I/O at the peak: each topic keeps its share of the rate and multiplies it by its RF.
    let rf_weighted: f64 =
        topics.iter().filter_map(|t| Some(t.bytes_in_per_sec? * t.replication_factor.max(1) as f64)).sum();
    let amplification = if mean > 0.0 { rf_weighted / mean } else { 1.0 };
    let bytes_in = Decimal::from_f64(peak).unwrap_or_default();
    let write_io = Decimal::from_f64(peak * amplification).unwrap_or_default() / MIB;
    let per_broker = a.broker_write_mibps;
    // Each bound is planned at the target utilisation, as the disk is: the rest is headroom.
    let u = a.target_throughput_utilization;
    let brokers_for_writes = if per_broker > Decimal::ZERO { whole((write_io / (per_broker * u)).ceil()) } else { 1 };
    let sum = |f: &dyn Fn(&TopicLoad, f64) -> f64| -> f64 {
        topics.iter().filter_map(|t| Some(f(t, t.bytes_in_per_sec?))).sum()
    };
    let out = sum(&|t, r| r * (t.replication_factor.max(1) - 1) as f64 + r * t.reads.max(0.0));
    let inbound = rf_weighted;
    let at_peak =
        |x: f64| if mean > 0.0 { Decimal::from_f64(peak * x / mean).unwrap_or_default() / MIB } else { Decimal::ZERO };
    let network = at_peak(out.max(inbound));
    let per_broker_network = a.broker_network_mibps.or_else(|| network_baseline_mibps(instance_type));
    let brokers_for_network =
        per_broker_network.filter(|n| *n > Decimal::ZERO).map(|n| whole((network / (n * u)).ceil()));
    let replicas: i64 = topics.iter().map(|t| t.partitions.max(0) * t.replication_factor.max(1)).sum();
    let limit = partitions_per_broker(instance_type);
    let brokers_for_partitions = limit.map(|l| (replicas + l - 1) / l);
    let zones = zones.max(1);
    let bounds = [
        (Bottleneck::WriteThroughput, brokers_for_writes),
        (Bottleneck::Network, brokers_for_network.unwrap_or(0)),
        (Bottleneck::Partitions, brokers_for_partitions.unwrap_or(0)),
    ];
    let (bound, most) =
        bounds.iter().copied().fold((Bottleneck::WriteThroughput, 0), |b, x| if x.1 > b.1 { x } else { b });
    let bottleneck = if most < zones { Bottleneck::Zones } else { bound };
    let mut needed = most.max(zones);
    needed = (needed + zones - 1) / zones * zones;
    Sizing {
        percentile: a.sizing_percentile,
        points: rate_points.len() as i64,
        bytes_in_per_sec: bytes_in.round_dp(3),
        write_io_mibps: write_io.round_dp(3),
        per_broker_write_mibps: per_broker,
        brokers_for_writes,
        network_mibps: network.round_dp(3),
        per_broker_network_mibps: per_broker_network,
        brokers_for_network,
        replicas,
        partitions_per_broker: limit,
        brokers_for_partitions,
        brokers_needed: needed,
        bottleneck,
        brokers_today,
        disk_gib_needed: None,
        fullest_broker: None,
        fullest_broker_gib: None,
        disk_gib_billed: None,
        compute_needed_monthly_usd: None,
        compute_today_monthly_usd: None,
        disk_needed_monthly_usd: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const MIB_F: f64 = 1_048_576.0;

    fn topic(partitions: i64, rf: i64, mib_per_s: f64, gib: i64) -> TopicLoad {
        TopicLoad {
            partitions,
            replication_factor: rf,
            bytes_in_per_sec: Some(mib_per_s * MIB_F),
            retained_bytes: Some(gib * 1_073_741_824),
            reads: 1.0,
        }
    }

    #[test]
    fn the_percentile_is_by_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        // p95 of 20 points: rank ceil(0.95 × 20) = 19 → 19
        assert_eq!(percentile(&v, dec!(95)), Some(19.0));
        assert_eq!(percentile(&v, dec!(100)), Some(20.0));
        assert_eq!(percentile(&v, dec!(50)), Some(10.0));
        assert_eq!(percentile(&[], dec!(95)), None);
    }

    #[test]
    fn writes_partitions_and_zones_each_can_bound_the_count() {
        // 250 MiB/s per broker planned at 80 % (200 MiB/s), p95; the network out of the way until its own case.
        let a = Assumptions { broker_network_mibps: Some(dec!(100_000)), ..Assumptions::default() };
        // 100 MiB/s at RF 3 = 300 MiB/s of writes ÷ 200 = 1.5 → 2; 3 zones → 3, bounded by zones.
        let s = size(&[topic(60, 3, 100.0, 100)], &[], "kafka.m5.large", 6, 3, &a);
        assert_eq!((s.brokers_for_writes, s.brokers_needed, s.bottleneck), (2, 3, Bottleneck::Zones));
        // Peak 400 MiB/s (p95 of the points) at RF 3: 1,200 ÷ 200 = 6, in 3 zones 6.
        let points: Vec<f64> = (1..=20).map(|i| if i == 20 { 1000.0 * MIB_F } else { 400.0 * MIB_F }).collect();
        let s = size(&[topic(60, 3, 100.0, 100)], &points, "kafka.m5.large", 6, 3, &a);
        assert_eq!(s.write_io_mibps, dec!(1200));
        assert_eq!((s.brokers_for_writes, s.brokers_needed, s.bottleneck), (6, 6, Bottleneck::WriteThroughput));
        // 2,000 partitions × RF 3 = 6,000 replicas ÷ 1,000 per m5.large = 6; ÷ 2,000 per m5.2xlarge = 3.
        let many = [topic(2000, 3, 1.0, 1)];
        let s = size(&many, &[], "kafka.m5.large", 6, 3, &a);
        assert_eq!((s.brokers_for_partitions, s.brokers_needed, s.bottleneck), (Some(6), 6, Bottleneck::Partitions));
        let s = size(&many, &[], "m5.2xlarge", 6, 3, &a);
        assert_eq!((s.brokers_for_partitions, s.brokers_needed), (Some(3), 3));
        // An instance size the table does not name: no partition bound, said so.
        assert_eq!(size(&many, &[], "r6i.xlarge", 6, 3, &a).partitions_per_broker, None);
        // Network: 100 MiB/s at RF 3 read by 4 groups sends 2 × 100 to followers + 4 × 100 to consumers = 600 MiB/s
        // out (in: 300) ÷ (150 MiB/s per broker × 0.8 = 120) = 5, rounded to 6 in three zones.
        let net = Assumptions { broker_network_mibps: Some(dec!(150)), ..Assumptions::default() };
        let four = [TopicLoad { reads: 4.0, ..topic(30, 3, 100.0, 1) }];
        let s = size(&four, &[], "kafka.m5.large", 6, 3, &net);
        assert_eq!(s.network_mibps, dec!(600));
        assert_eq!((s.brokers_for_network, s.brokers_needed, s.bottleneck), (Some(5), 6, Bottleneck::Network));
        // Unset, it is the instance's EC2 baseline: m5.large's 0.75 Gbps = 750,000,000 ÷ 8 ÷ 1,048,576 = 89.407 MiB/s,
        // × 0.8 = 71.53: 600 ÷ 71.53 = 8.39 → 9.
        let s = size(&four, &[], "kafka.m5.large", 6, 3, &Assumptions::default());
        assert_eq!((s.per_broker_network_mibps, s.brokers_for_network), (Some(dec!(89.407)), Some(9)));
        // A type the table lacks, and none set: no network bound, said so.
        assert_eq!(
            size(&[topic(30, 3, 100.0, 1)], &[], "r6i.large", 6, 3, &Assumptions::default()).brokers_for_network,
            None
        );
    }

    #[test]
    /// Published: AWS's MSK sizing guide (aws/agent-toolkit-for-aws, skills/specialized-skills/analytics-skills/
    /// managing-amazon-msk/references/size-and-choose-cluster.md @390f2431): "For RF=3 and 100 MBps ingress, total
    /// write IO = 300 MBps"; "a broker with RF=3 and 83 MiB/s client ingress already hits the 250 MiB/s ceiling
    /// (83 × 3 = 249 MiB/s write IO)"; storage "client_ingress_per_broker × retention_seconds × RF ... Add 20%
    /// headroom"; "The broker count must be a multiple of the number of AZs".
    fn follows_aws_msk_sizing_guide() {
        // The guide sizes at the volume's cap (250 MiB/s, all of it) and names no network bound.
        let a = Assumptions {
            target_throughput_utilization: Decimal::ONE,
            broker_network_mibps: Some(dec!(100_000)),
            ..Assumptions::default()
        };
        // 100 MiB/s at RF 3: 300 MiB/s of write I/O.
        assert_eq!(size(&[topic(30, 3, 100.0, 0)], &[], "kafka.m5.large", 3, 3, &a).write_io_mibps, dec!(300));
        // 83 MiB/s at RF 3 = 249: one broker's worth; 84 = 252: two. In three zones both round up to 3.
        assert_eq!(size(&[topic(30, 3, 83.0, 0)], &[], "kafka.m5.large", 3, 1, &a).brokers_for_writes, 1);
        assert_eq!(size(&[topic(30, 3, 84.0, 0)], &[], "kafka.m5.large", 3, 1, &a).brokers_for_writes, 2);
        assert_eq!(size(&[topic(30, 3, 84.0, 0)], &[], "kafka.m5.large", 3, 3, &a).brokers_needed, 3);
        // 10 MiB/s × 1 day × RF 3 = 2,531.25 GiB, plus 20 % headroom (utilisation 1/1.2): 3,037.5 GiB.
        let headroom = Assumptions { target_disk_utilization: Decimal::ONE / dec!(1.2), ..Assumptions::default() };
        // Over three brokers evenly, one copy each, 843.75 GiB each: 843.75 × 3 × 1.2 = 3,037.5 GiB, on MSK as self-managed.
        let each = Some(10 * 1_048_576 * 86_400);
        let even = [(1, each), (2, each), (3, each)];
        let u = headroom.target_disk_utilization;
        assert_eq!(disk_need(&even, 3, true, u).gib, Some(dec!(3037.5)));
        assert_eq!(disk_need(&even, 3, false, u).gib, Some(dec!(3037.5)));
    }

    #[test]
    /// Derived: MSK provisions one EBS size for every broker (MSK API `BrokerEBSVolumeInfo`: "KafkaBrokerNodeId …
    /// must be set to the keyword ALL"), so the fullest broker sets the size of all of them.
    fn on_msk_the_fullest_broker_sizes_every_volume() {
        let gib = |g: i64| Some(g * 1_073_741_824);
        // Six brokers holding 100, 100, 100, 100, 100 and 160 GiB; u = 0.8.
        let held = [(1, gib(100)), (2, gib(100)), (3, gib(100)), (4, gib(100)), (5, gib(100)), (6, gib(160))];
        // MSK: 160 ÷ 0.8 = 200 GiB a volume × 6 = 1,200 GiB. Self-managed: 660 ÷ 0.8 = 825 GiB.
        let msk = disk_need(&held, 6, true, dec!(0.8));
        assert_eq!((msk.gib, msk.fullest), (Some(dec!(1200)), Some((6, dec!(160)))));
        assert_eq!(disk_need(&held, 6, false, dec!(0.8)).gib, Some(dec!(825)));
        // A seventh broker holding nothing still gets a volume on MSK: 200 × 7 = 1,400 GiB.
        assert_eq!(disk_need(&held, 7, true, dec!(0.8)).gib, Some(dec!(1400)));
        // One broker's bytes unknown: the need is unknown, never the sum of the others.
        let unknown = [(1, gib(100)), (2, None)];
        assert_eq!(disk_need(&unknown, 2, true, dec!(0.8)), DiskNeed { gib: None, fullest: None });
    }
}
