//! The cost formulas, per topic and per month, as lists of components. Pure decimal arithmetic; no I/O, no polars.
//!
//! Notation (all per topic): `B` retained bytes of one copy (sum of the leaders' partition sizes), `RF` replication
//! factor, `W` bytes written per month (`BytesInPerSec` average × 3600 × month hours), `G` consumer groups reading
//! the topic, `Z` client zones, `p = (Z − 1) / Z` the share of clients outside any one zone, `f` the share of
//! follower replicas placed in another zone than their leader, `u` the target disk utilisation, `GiB = 2^30` bytes.
//!
//! Broker-local (today):
//! - `retained_storage`   = B × RF / GiB GiB-month × storage price (MSK storage on MSK, gp3 on self-managed)
//! - `disk_headroom`      = B × RF / GiB × (1/u − 1) GiB-month × the same price (provisioned but unused)
//! - `inter_az_replication` = W × (RF − 1) × f / GiB GiB × 2 × inter-AZ price (on MSK the replication price is 0)
//! - `inter_az_produce`   = W × p / GiB GiB × 2 × inter-AZ price (producers writing to a leader in another zone)
//! - `inter_az_consume`   = W × G × p / GiB GiB × 2 × inter-AZ price (consumers reading from a leader elsewhere);
//!   0 with fetch-from-follower (KIP-392) when RF ≥ Z, since every zone then holds a replica to read from
//! - `broker_compute`     = brokers × month hours × share broker-hours × hourly price, share = W ÷ cluster W
//!
//! Shared storage (AutoMQ-style: one copy in S3, WAL per broker, stateless brokers):
//! - `s3_storage`  = B / GiB GiB-month × S3 Standard price
//! - `s3_put`      = W / (upload object MiB × 2^20) requests × PUT price
//! - `s3_get`      = W × G × cold-read share / (read object MiB × 2^20) requests × GET price
//! - `wal_volume`  = WAL GiB × brokers × share GiB-month × gp3 price
//! - `inter_az_produce`, `inter_az_consume` as above unless clients are zone-aware (then none)
//! - `broker_compute` as above (v1 keeps the broker count; stateless brokers could shrink it)
//!
//! The inter-AZ price is charged on each side of a transfer, hence the factor 2. A quantity that cannot be known
//! (a partition size not collected, no write-rate metric) leaves its component out and is named in `missing`, so a
//! total is never silently low.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};

use crate::config::Platform;
use crate::model::assumptions::Assumptions;
use crate::model::prices::PriceBook;

pub const GIB: Decimal = Decimal::from_parts(1_073_741_824, 0, 0, false, 0);
const MIB: Decimal = Decimal::from_parts(1_048_576, 0, 0, false, 0);
const SECONDS_PER_HOUR: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);
const TWO_SIDES: Decimal = Decimal::TWO;

/// One priced line of a cost: `monthly_usd = quantity × unit_price_usd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostComponent {
    pub name: String,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_price_usd: Decimal,
    /// The price-book key, and the price's source as the book gives it.
    pub price_key: String,
    pub price_source: String,
    pub monthly_usd: Decimal,
}

/// A placement scenario's cost for one topic (or a roll-up): its components and what could not be priced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostBreakdown {
    pub components: Vec<CostComponent>,
    pub monthly_usd: Decimal,
    /// Inputs or prices that were missing; a non-empty list means `monthly_usd` is a lower bound.
    pub missing: Vec<String>,
}

impl CostBreakdown {
    fn push(
        &mut self,
        prices: &PriceBook,
        name: &str,
        unit: &str,
        quantity: Decimal,
        price_key: &str,
        factor: Decimal,
    ) {
        match prices.get(price_key) {
            Some(price) => {
                let unit_price = price.usd * factor;
                let monthly = (quantity * unit_price).round_dp(6);
                self.monthly_usd += monthly;
                let source = if factor == Decimal::ONE {
                    price.source.clone()
                } else {
                    format!("{} (× {factor}: billed on both sides)", price.source)
                };
                self.components.push(CostComponent {
                    name: name.into(),
                    unit: unit.into(),
                    quantity: quantity.round_dp(6),
                    unit_price_usd: unit_price,
                    price_key: price_key.into(),
                    price_source: source,
                    monthly_usd: monthly,
                });
            }
            None => self.missing.push(format!("{name}: no price `{price_key}` in the price book")),
        }
    }

    /// Adds another breakdown's components into this one, merging components of the same name and price.
    pub fn absorb(&mut self, other: &CostBreakdown) {
        for c in &other.components {
            match self.components.iter_mut().find(|m| m.name == c.name && m.price_key == c.price_key) {
                Some(m) => {
                    m.quantity += c.quantity;
                    m.monthly_usd += c.monthly_usd;
                }
                None => self.components.push(c.clone()),
            }
        }
        self.monthly_usd += other.monthly_usd;
        for m in &other.missing {
            if !self.missing.contains(m) {
                self.missing.push(m.clone());
            }
        }
    }
}

/// What the formulas need to know about a topic. Built from the join stage's `topic_facts`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicInputs {
    pub replication_factor: i64,
    /// Bytes of one copy; `None` when a partition's size was not collected.
    pub retained_bytes: Option<i64>,
    pub partitions_size_unknown: i64,
    /// Average write rate over the window; `None` when no metric was collected.
    pub bytes_in_per_sec: Option<f64>,
    pub consumer_groups: i64,
    /// Share of follower replicas in another zone than their leader (0..=1).
    pub cross_zone_follower_share: Decimal,
}

/// What the formulas need to know about the topic's cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInputs {
    pub platform: Platform,
    pub brokers: i64,
    pub zones: i64,
    pub broker_price_key: String,
    /// Sum of the cluster's topics' write rates; the denominator of compute and WAL shares.
    pub cluster_bytes_in_per_sec: f64,
}

/// Monthly bytes written, from an average rate.
fn monthly_bytes(rate: f64, a: &Assumptions) -> Decimal {
    Decimal::from_f64(rate).unwrap_or_default() * SECONDS_PER_HOUR * a.month_hours
}

fn client_cross_zone_share(cluster: &ClusterInputs, a: &Assumptions) -> Decimal {
    let zones = Decimal::from(a.client_zones.map(i64::from).unwrap_or(cluster.zones).max(1));
    (zones - Decimal::ONE) / zones
}

/// The topic's share of the cluster's write rate (0 when the cluster writes nothing).
fn write_share(topic: &TopicInputs, cluster: &ClusterInputs) -> Option<Decimal> {
    let rate = topic.bytes_in_per_sec?;
    if cluster.cluster_bytes_in_per_sec <= 0.0 {
        return Some(Decimal::ZERO);
    }
    Decimal::from_f64(rate / cluster.cluster_bytes_in_per_sec)
}

fn storage_price_key(platform: Platform) -> &'static str {
    match platform {
        Platform::Msk => "msk.storage",
        Platform::SelfManaged => "ebs.gp3.storage",
    }
}

fn replication_price_key(platform: Platform) -> &'static str {
    match platform {
        Platform::Msk => "msk.transfer.replication",
        Platform::SelfManaged => "transfer.inter_az",
    }
}

fn note_missing_inputs(cost: &mut CostBreakdown, t: &TopicInputs) {
    if t.retained_bytes.is_none() {
        cost.missing
            .push(format!("storage: size on disk not collected for {} partition(s)", t.partitions_size_unknown));
    }
    if t.bytes_in_per_sec.is_none() {
        cost.missing.push(
            "traffic: no write-rate metric (BytesInPerSec) for this topic; transfer, request, WAL and compute \
             components left out"
                .to_string(),
        );
    }
}

/// Broker-local disk, as Kafka runs today.
pub fn broker_local(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    let rf = Decimal::from(t.replication_factor.max(1));
    if let Some(bytes) = t.retained_bytes {
        let stored_gib = Decimal::from(bytes) * rf / GIB;
        let key = storage_price_key(c.platform);
        cost.push(prices, "retained_storage", "GiB-month", stored_gib, key, Decimal::ONE);
        let headroom = stored_gib * (Decimal::ONE / a.target_disk_utilization - Decimal::ONE);
        cost.push(prices, "disk_headroom", "GiB-month", headroom, key, Decimal::ONE);
    }
    if let Some(rate) = t.bytes_in_per_sec {
        let written_gib = monthly_bytes(rate, a) / GIB;
        let replicated = written_gib * (rf - Decimal::ONE) * t.cross_zone_follower_share;
        cost.push(prices, "inter_az_replication", "GiB", replicated, replication_price_key(c.platform), TWO_SIDES);
        push_client_traffic(&mut cost, written_gib, t, c, a, prices, a.fetch_from_follower);
    }
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    cost
}

/// Shared storage, AutoMQ-style: one copy in S3, a small WAL per broker, no replication between zones.
pub fn shared_storage(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = t.retained_bytes {
        cost.push(prices, "s3_storage", "GiB-month", Decimal::from(bytes) / GIB, "s3.standard.storage", Decimal::ONE);
    }
    if let Some(rate) = t.bytes_in_per_sec {
        let written = monthly_bytes(rate, a);
        let puts = written / (a.s3_upload_object_mib * MIB);
        cost.push(prices, "s3_put", "requests", puts, "s3.standard.put", Decimal::ONE);
        let cold = written * Decimal::from(t.consumer_groups) * a.shared_cold_read_fraction;
        let gets = cold / (a.s3_read_object_mib * MIB);
        cost.push(prices, "s3_get", "requests", gets, "s3.standard.get", Decimal::ONE);
        if let Some(share) = write_share(t, c) {
            let wal = a.wal_gib_per_broker * Decimal::from(c.brokers) * share;
            cost.push(prices, "wal_volume", "GiB-month", wal, "ebs.gp3.storage", Decimal::ONE);
        }
        if !a.zone_aware_clients {
            push_client_traffic(&mut cost, written / GIB, t, c, a, prices, false);
        }
    }
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    cost
}

/// Producers writing to, and consumer groups reading from, a broker in another zone.
fn push_client_traffic(
    cost: &mut CostBreakdown,
    written_gib: Decimal,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
    fetch_from_follower: bool,
) {
    let p = client_cross_zone_share(c, a);
    cost.push(prices, "inter_az_produce", "GiB", written_gib * p, "transfer.inter_az", TWO_SIDES);
    let zones = i64::from(a.client_zones.unwrap_or(c.zones.max(1) as u32));
    let local_replica_everywhere = fetch_from_follower && t.replication_factor >= zones;
    let read =
        if local_replica_everywhere { Decimal::ZERO } else { written_gib * Decimal::from(t.consumer_groups) * p };
    cost.push(prices, "inter_az_consume", "GiB", read, "transfer.inter_az", TWO_SIDES);
}

fn push_compute(cost: &mut CostBreakdown, t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) {
    if let Some(share) = write_share(t, c) {
        let hours = Decimal::from(c.brokers) * a.month_hours * share;
        cost.push(prices, "broker_compute", "broker-hours", hours, &c.broker_price_key, Decimal::ONE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn cluster(platform: Platform) -> ClusterInputs {
        ClusterInputs {
            platform,
            brokers: 6,
            zones: 3,
            broker_price_key: "msk.broker.kafka.m5.2xlarge".into(),
            cluster_bytes_in_per_sec: 4.0 * 1_048_576.0,
        }
    }

    /// 100 GiB retained, RF 3, 1 MiB/s written, 2 consumer groups, every follower in another zone.
    fn topic() -> TopicInputs {
        TopicInputs {
            replication_factor: 3,
            retained_bytes: Some(100 * 1_073_741_824),
            partitions_size_unknown: 0,
            bytes_in_per_sec: Some(1_048_576.0),
            consumer_groups: 2,
            cross_zone_follower_share: Decimal::ONE,
        }
    }

    fn component<'a>(cost: &'a CostBreakdown, name: &str) -> &'a CostComponent {
        cost.components.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name} in {cost:?}"))
    }

    /// The inter-AZ components of a cost.
    fn cross_az(cost: &CostBreakdown) -> Decimal {
        cost.components.iter().filter(|c| c.name.starts_with("inter_az")).map(|c| c.monthly_usd).sum()
    }

    fn published(rate_mib: f64, platform: Platform, fetch_from_follower: bool) -> Decimal {
        let t = TopicInputs {
            replication_factor: 3,
            retained_bytes: Some(0),
            partitions_size_unknown: 0,
            bytes_in_per_sec: Some(rate_mib * 1_048_576.0),
            consumer_groups: 3,
            cross_zone_follower_share: Decimal::ONE,
        };
        let c = ClusterInputs { zones: 3, cluster_bytes_in_per_sec: rate_mib * 1_048_576.0, ..cluster(platform) };
        let a = Assumptions { month_hours: dec!(720), fetch_from_follower, ..Assumptions::default() };
        cross_az(&broker_local(&t, &c, &a, &PriceBook::default_us_east_1()))
    }

    fn within_one_percent(got: Decimal, published: Decimal) {
        assert!((got - published).abs() <= published / dec!(100), "{got} vs published {published}");
    }

    #[test]
    /// AutoMQ's published example (automq.com, "Kafka cross-AZ cost"): 100 MiB/s written, RF 3, 3 AZs, 3 consumer
    /// groups, a 30-day month, $0.01 per GiB on each side. Written: 100 MiB/s × 2,592,000 s = 253,125 GiB. Crossing
    /// per GiB written: 2/3 (producers) + 2 (replication) + 3 × 2/3 (consumers) → $23,625; with fetch-from-follower
    /// the consumers' term drops → $13,500; on MSK the replication term drops instead → $13,500.
    /// AutoMQ's 1 GiB/s benchmark (consumers local): 2,592,000 GiB × (2/3 + 2) × $0.02 → $138,240.
    fn reproduces_automq_published_cross_az_figures() {
        within_one_percent(published(100.0, Platform::SelfManaged, false), dec!(23625));
        within_one_percent(published(100.0, Platform::SelfManaged, true), dec!(13500));
        within_one_percent(published(100.0, Platform::Msk, false), dec!(13500));
        within_one_percent(published(1024.0, Platform::SelfManaged, true), dec!(138240));
    }

    #[test]
    fn fetch_from_follower_needs_a_replica_in_every_zone() {
        let a = Assumptions { fetch_from_follower: true, ..Assumptions::default() };
        let book = PriceBook::default_us_east_1();
        let rf2 = TopicInputs { replication_factor: 2, ..topic() };
        let cost = broker_local(&rf2, &cluster(Platform::SelfManaged), &a, &book);
        assert!(component(&cost, "inter_az_consume").monthly_usd > Decimal::ZERO, "RF 2 over 3 zones");
        let cost = broker_local(&topic(), &cluster(Platform::SelfManaged), &a, &book);
        assert_eq!(component(&cost, "inter_az_consume").monthly_usd, Decimal::ZERO);
    }

    #[test]
    fn broker_local_on_self_managed_kafka_by_hand() {
        let book = PriceBook::default_us_east_1();
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
        let book = PriceBook::default_us_east_1();
        let cost = broker_local(&topic(), &cluster(Platform::Msk), &Assumptions::default(), &book);
        assert_eq!(component(&cost, "inter_az_replication").monthly_usd, dec!(0));
        // 300 GiB-month × $0.10 = $30
        assert_eq!(component(&cost, "retained_storage").monthly_usd, dec!(30));
        assert_eq!(component(&cost, "retained_storage").price_key, "msk.storage");
    }

    #[test]
    fn shared_storage_by_hand() {
        let book = PriceBook::default_us_east_1();
        let cost = shared_storage(&topic(), &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
        // one copy: 100 GiB × $0.023 = $2.30
        assert_eq!(component(&cost, "s3_storage").monthly_usd, dec!(2.3));
        // PUTs: 2,628,000 MiB ÷ 8 MiB = 328,500 × $0.000005 = $1.6425
        assert_eq!(component(&cost, "s3_put").quantity, dec!(328500));
        assert_eq!(component(&cost, "s3_put").monthly_usd, dec!(1.6425));
        // GETs: 2,628,000 MiB × 2 groups × 0.1 ÷ 4 MiB = 131,400 × $0.0000004 = $0.05256
        assert_eq!(component(&cost, "s3_get").quantity, dec!(131400));
        assert_eq!(component(&cost, "s3_get").monthly_usd, dec!(0.05256));
        // WAL: 10 GiB × 6 brokers × 1/4 = 15 GiB-month × $0.08 = $1.20
        assert_eq!(component(&cost, "wal_volume").monthly_usd, dec!(1.2));
        assert!(cost.components.iter().all(|c| !c.name.starts_with("inter_az")));
    }

    #[test]
    fn shared_storage_without_zone_aware_clients_pays_client_traffic_like_today() {
        let book = PriceBook::default_us_east_1();
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
        let book = PriceBook::default_us_east_1();
        let t = TopicInputs { retained_bytes: None, partitions_size_unknown: 2, bytes_in_per_sec: None, ..topic() };
        let cost = broker_local(&t, &cluster(Platform::SelfManaged), &Assumptions::default(), &book);
        assert!(cost.components.is_empty());
        assert_eq!(cost.missing.len(), 2);
        assert!(cost.missing[0].contains("2 partition(s)"), "{:?}", cost.missing);
    }

    #[test]
    fn a_missing_broker_price_is_flagged() {
        let book = PriceBook::default_us_east_1();
        let c = ClusterInputs { broker_price_key: "msk.broker.kafka.x9.huge".into(), ..cluster(Platform::Msk) };
        let cost = broker_local(&topic(), &c, &Assumptions::default(), &book);
        assert!(cost.components.iter().all(|x| x.name != "broker_compute"));
        assert!(cost.missing.iter().any(|m| m.contains("msk.broker.kafka.x9.huge")));
    }
}
