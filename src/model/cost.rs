//! The cost formulas, per topic and per month, as lists of components. Pure decimal arithmetic; no I/O, no polars.
//!
//! Every formula, its inputs and the assumptions' defaults are written out in `docs/cost-model.md`; the unit tests
//! below recompute small cases by hand. In short (per topic): `B` one copy's retained bytes, `RF` replication
//! factor, `W` bytes written per month, `u` target disk utilisation; the crossing shares `x` come from where the
//! leaders, replicas and clients are (`zones`).
//!
//! - broker-local: `B × RF` on EBS (MSK storage on MSK) plus the headroom `× (1/u − 1)` as its own line; replication
//!   `W × Σ_p w_p × (followers of p outside the leader's zone)` (not billed on MSK); producers `W × x_leader`; each
//!   consumer group `W × x_leader`, or `W × x_replica` when it fetches from followers; broker hours by write share.
//! - tiered storage (KIP-405): the local window on EBS × RF; every rolled segment in object storage (one copy of
//!   `B`: S3 on self-managed Kafka, MSK tiered storage on MSK); traffic as broker-local; uploads; groups further
//!   behind than the local window read from remote storage.
//! - shared storage (AutoMQ-style): one copy of `B` in S3, PUTs from `W`, GETs for cold reads, a WAL per broker, no
//!   replication traffic; clients cross only from zones without a broker when they are zone-aware, else as often
//!   as a broker picked by count is in another zone.
//!
//! The inter-AZ price is charged on each side of a transfer, hence the factor 2. A quantity that cannot be known
//! (a partition size not collected, no write-rate metric, a zone not reported) or a price missing from the book
//! leaves its component out and is named in `missing`, so a total is never silently low.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::model::assumptions::{Assumptions, WalKind};
use crate::model::zones::{Clients, Distribution, Placement};
use crate::prices::{FixedPrice, PriceBook, PriceKey, VENDOR_KEY};
use crate::settings::Platform;

pub const GIB: Decimal = Decimal::from_parts(1_073_741_824, 0, 0, false, 0);
const MIB: Decimal = Decimal::from_parts(1_048_576, 0, 0, false, 0);
const SECONDS_PER_HOUR: Decimal = Decimal::from_parts(3600, 0, 0, false, 0);
const TWO_SIDES: Decimal = Decimal::TWO;

/// What a cost component prices. Serialized as its snake_case name, the name model.json and the CSVs carry.
pub use crate::report_model::Component;

/// One priced line of a cost: `monthly_usd = quantity × unit_price_usd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostComponent {
    pub name: Component,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_price_usd: Decimal,
    /// The price-book key; the cluster's `prices` give its source and basis. `unit_price_usd` is that price ×
    /// `price_multiplier` (2 for inter-AZ transfer, billed on both sides; omitted when 1).
    pub price_key: PriceKey,
    pub price_multiplier: Decimal,
    pub monthly_usd: Decimal,
}

/// Something a cost could not count, and so left out: the part it concerns and why. A breakdown with one is a lower
/// bound. Shown as `part: reason` (the words `model.json` carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub part: Part,
    pub reason: Reason,
}

/// The part of a cost a [`Missing`] concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// One cost component.
    Component(Component),
    /// Every storage component (a size is unknown).
    Storage,
    /// Every rate-driven component (a write rate is unknown).
    Traffic,
}

/// Why a part of a cost is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The cluster's price book has no price for the key.
    NoPrice(PriceKey),
    /// Partitions whose size on disk was not collected.
    SizeNotCollected { partitions: i64 },
    /// Tiered today: the remote bytes need a write rate and a finite retention.
    RemoteBytesUnknown,
    /// No `BytesInPerSec` for the topic.
    NoWriteRate,
    /// Where a zone is unknown, and so where traffic crosses.
    ZoneUnknown(Option<String>),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.part {
            Part::Component(c) => write!(f, "{c}: ")?,
            Part::Storage => f.write_str("storage: ")?,
            Part::Traffic => f.write_str("traffic: ")?,
        }
        match &self.reason {
            Reason::NoPrice(key) => write!(f, "no price `{key}` in the price book"),
            Reason::SizeNotCollected { partitions } => {
                write!(f, "size on disk not collected for {partitions} partition(s)")
            }
            Reason::RemoteBytesUnknown => {
                f.write_str("the topic is tiered today and its remote bytes need a write rate and a finite retention")
            }
            Reason::NoWriteRate => f.write_str(
                "no write-rate metric (BytesInPerSec) for this topic; transfer, request, WAL and compute components \
                 left out",
            ),
            Reason::ZoneUnknown(why) => write!(
                f,
                "{}, so where its traffic crosses a zone is unknown",
                why.as_deref().unwrap_or("a zone is unknown")
            ),
        }
    }
}

/// A placement scenario's cost for one topic (or a roll-up): its components and what could not be priced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostBreakdown {
    pub components: Vec<CostComponent>,
    pub monthly_usd: Decimal,
    /// Inputs or prices that were missing; a non-empty list means `monthly_usd` is a lower bound.
    pub missing: Vec<Missing>,
}

impl CostBreakdown {
    fn push(
        &mut self,
        prices: &PriceBook,
        name: Component,
        unit: &str,
        quantity: Decimal,
        price_key: impl Into<PriceKey>,
        factor: Decimal,
    ) {
        let price_key = price_key.into();
        match prices.get(&price_key) {
            Some(price) => {
                let unit_price = price.usd * factor;
                let monthly = (quantity * unit_price).round_dp(6);
                self.monthly_usd += monthly;
                self.components.push(CostComponent {
                    name,
                    unit: unit.into(),
                    quantity: quantity.round_dp(6),
                    unit_price_usd: unit_price,
                    price_key,
                    price_multiplier: factor,
                    monthly_usd: monthly,
                });
            }
            None => self.missing.push(Missing { part: Part::Component(name), reason: Reason::NoPrice(price_key) }),
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

/// What the formulas need to know about a topic. Built from the join stage's `topic_facts` and `group_lag`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicInputs {
    pub replication_factor: i64,
    /// Bytes of one copy on the brokers' disks; `None` when a partition's size was not collected. On a topic that
    /// is tiered today this is only the local part.
    pub retained_bytes: Option<i64>,
    pub partitions_size_unknown: i64,
    /// Average write rate over the window; `None` when no metric was collected.
    pub bytes_in_per_sec: Option<f64>,
    /// `retention.ms`: `None` unknown, negative = unlimited.
    pub retention_ms: Option<i64>,
    /// `cleanup.policy` includes `compact` (KIP-405 tiered storage does not take compacted topics).
    pub compacted: bool,
    /// Tiered today (`remote.storage.enable`), with `local.retention.ms` (−2 = same as retention).
    pub tiered_today: Option<i64>,
    /// The tiered scenario's local window, when set (a what-if); else `tiered_today`'s, else the assumption's.
    pub tiered_window_ms: Option<i64>,
    /// Offsets retained (sum of latest − earliest over partitions): with the bytes, the average record size.
    pub messages_retained: Option<i64>,
    /// Where the producers run (the topic owner's `[[model.clients]]` rule, else the cluster's default).
    pub producers: Clients,
    /// Each consumer group reading the topic.
    pub groups: Vec<GroupInputs>,
    /// Where the partitions' leaders and followers are, and each partition's share of the traffic.
    pub placement: Placement,
}

/// One consumer group's reading of a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInputs {
    pub group_id: String,
    /// Messages behind, summed over the topic's partitions; `None` when not known.
    pub lag: Option<i64>,
    /// Where the group's members run.
    pub clients: Clients,
    /// The group's consumers set `client.rack` and the brokers a rack-aware replica selector (KIP-392);
    /// `None` = `[model] fetch_from_follower`.
    pub fetch_from_follower: Option<bool>,
}

impl TopicInputs {
    /// The same topic with its retention × `factor`, writes unchanged: the bytes and records retained scale with
    /// it (on a topic tiered today, only the remote part grows; the local window stays).
    pub fn with_retention_factor(&self, factor: Decimal) -> TopicInputs {
        let scale = |v: i64| whole(Decimal::from(v) * factor);
        TopicInputs {
            retained_bytes: if self.tiered_today.is_some() {
                self.retained_bytes
            } else {
                self.retained_bytes.map(scale)
            },
            retention_ms: self.retention_ms.map(|r| if r > 0 { scale(r) } else { r }),
            messages_retained: self.messages_retained.map(scale),
            ..self.clone()
        }
    }
}

impl TopicInputs {
    /// The same topic writing `factor` times as fast, retention unchanged: a time-bound retention keeps `factor`
    /// times the bytes and records; unlimited retention keeps what it has. Consumers read the same share.
    pub fn with_rate_factor(&self, factor: Decimal) -> TopicInputs {
        let scale = |v: i64| whole(Decimal::from(v) * factor);
        let bounded = self.retention_ms.is_some_and(|r| r > 0);
        TopicInputs {
            bytes_in_per_sec: self.bytes_in_per_sec.map(|r| r * factor.to_f64().unwrap_or(1.0)),
            retained_bytes: if bounded { self.retained_bytes.map(scale) } else { self.retained_bytes },
            messages_retained: if bounded { self.messages_retained.map(scale) } else { self.messages_retained },
            ..self.clone()
        }
    }
}

/// What the formulas need to know about the topic's cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInputs {
    pub platform: Platform,
    pub brokers: i64,
    pub zones: i64,
    /// Each zone (rack) with brokers, and how many; brokers without a rack are not in it.
    pub broker_zones: Vec<(String, i64)>,
    pub broker_price_key: PriceKey,
    /// Sum of the cluster's topics' write rates; the denominator of compute and WAL shares.
    pub cluster_bytes_in_per_sec: f64,
    /// Sum over the cluster's topics of write rate × RF: what the brokers' disks take in.
    pub disk_write_bytes_per_sec: f64,
    /// Sum over the cluster's topics of write rate × consumer groups: what consumers read.
    pub read_bytes_per_sec: f64,
}

/// gp3's baseline per volume, included in the storage price (AWS EBS volume types).
const GP3_BASELINE_MIBPS: Decimal = Decimal::from_parts(125, 0, 0, false, 0);
const GP3_BASELINE_IOPS: Decimal = Decimal::from_parts(3000, 0, 0, false, 0);

/// A decimal rounded to a whole number (half away from zero), saturating at the ends of `i64`.
pub fn whole(d: Decimal) -> i64 {
    let r = d.round();
    r.to_i64().unwrap_or(if r.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// Monthly bytes written, from an average rate.
fn monthly_bytes(rate: f64, a: &Assumptions) -> Decimal {
    Decimal::from_f64(rate).unwrap_or_default() * SECONDS_PER_HOUR * a.month_hours
}

impl ClusterInputs {
    /// The cluster with one topic writing `factor` times as fast: its totals grow by that topic's extra traffic.
    pub fn with_topic_rate_factor(&self, t: &TopicInputs, factor: Decimal) -> ClusterInputs {
        let extra = t.bytes_in_per_sec.unwrap_or(0.0) * (factor.to_f64().unwrap_or(1.0) - 1.0);
        ClusterInputs {
            cluster_bytes_in_per_sec: self.cluster_bytes_in_per_sec + extra,
            disk_write_bytes_per_sec: self.disk_write_bytes_per_sec + extra * t.replication_factor.max(1) as f64,
            read_bytes_per_sec: self.read_bytes_per_sec + extra * t.groups.len() as f64,
            ..self.clone()
        }
    }

    /// The zones that have brokers.
    pub fn zone_names(&self) -> Vec<String> {
        self.broker_zones.iter().map(|(z, _)| z.clone()).collect()
    }

    /// Shared storage's broker count, sized by throughput: the brokers send out the cluster's uploads to S3 (`W`),
    /// compaction (`W × shared_compaction_factor`) and consumer reads (`Σ W × groups`), and take in produce and
    /// compaction reads; the busier direction over `shared_instance_network_mibps`, rounded up, and never fewer
    /// than `shared_min_brokers` (default one per zone).
    pub fn shared_brokers(&self, a: &Assumptions) -> i64 {
        let written = Decimal::from_f64(self.cluster_bytes_in_per_sec).unwrap_or_default();
        let read = Decimal::from_f64(self.read_bytes_per_sec).unwrap_or_default();
        let compaction = written * a.shared_compaction_factor;
        let busiest = (written + compaction + read).max(written + compaction);
        let per_broker = a.shared_instance_network_mibps * MIB;
        let by_throughput = if per_broker > Decimal::ZERO { whole((busiest / per_broker).ceil()) } else { 1 };
        let least = a.shared_min_brokers.map(i64::from).unwrap_or(self.zones).max(1);
        by_throughput.max(least)
    }
}

/// The topic's share of the cluster's write rate (0 when the cluster writes nothing).
fn write_share(topic: &TopicInputs, cluster: &ClusterInputs) -> Option<Decimal> {
    let rate = topic.bytes_in_per_sec?;
    if cluster.cluster_bytes_in_per_sec <= 0.0 {
        return Some(Decimal::ZERO);
    }
    Decimal::from_f64(rate / cluster.cluster_bytes_in_per_sec)
}

pub fn storage_price_key(platform: Platform) -> FixedPrice {
    match platform {
        Platform::Msk => FixedPrice::MskStorage,
        Platform::SelfManaged => FixedPrice::Gp3Storage,
    }
}

fn replication_price_key(platform: Platform) -> FixedPrice {
    match platform {
        Platform::Msk => FixedPrice::MskReplicationTransfer,
        Platform::SelfManaged => FixedPrice::InterAzTransfer,
    }
}

/// Bytes of one copy of everything the topic retains. A topic tiered today has only its local part on disk; the
/// rest is estimated as write rate × (retention − local window), and is unknown without a rate.
pub fn one_copy_bytes(t: &TopicInputs) -> Option<Decimal> {
    let local = Decimal::from(t.retained_bytes?);
    match t.tiered_today {
        None | Some(-2) => Some(local),
        Some(local_ms) => {
            let rate = Decimal::from_f64(t.bytes_in_per_sec?)?;
            let retention_ms = t.retention_ms.filter(|r| *r >= 0)?;
            let remote_ms = Decimal::from((retention_ms - local_ms.max(0)).max(0));
            Some(local + rate * remote_ms / Decimal::ONE_THOUSAND)
        }
    }
}

fn note_missing_inputs(cost: &mut CostBreakdown, t: &TopicInputs) {
    let storage = |reason| Missing { part: Part::Storage, reason };
    if t.retained_bytes.is_none() {
        cost.missing.push(storage(Reason::SizeNotCollected { partitions: t.partitions_size_unknown }));
    } else if one_copy_bytes(t).is_none() {
        cost.missing.push(storage(Reason::RemoteBytesUnknown));
    }
    if t.bytes_in_per_sec.is_none() {
        cost.missing.push(Missing { part: Part::Traffic, reason: Reason::NoWriteRate });
    }
}

/// Broker-local disk: every byte retained on EBS (or MSK storage) × RF.
pub fn broker_local(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = one_copy_bytes(t) {
        push_local_disk(&mut cost, bytes, t, c, a, prices);
    }
    push_provisioned_performance(&mut cost, t, c, a, prices);
    push_kafka_traffic(&mut cost, t, c, a, prices);
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    cost
}

/// Tiered storage (KIP-405): the local window on EBS × RF, one copy of everything retained in object storage,
/// replication and client traffic as broker-local, uploads, and remote reads for the groups further behind than
/// the local window. An error with the reason when the topic cannot be tiered.
pub fn tiered_storage(
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) -> Result<CostBreakdown, NotTierable> {
    tiered_eligibility(t, c, a)?;
    let mut cost = CostBreakdown::default();
    let window_ms = local_window_ms(t, a);
    let remote_key = |msk: FixedPrice, s3: FixedPrice| match c.platform {
        Platform::Msk => msk,
        Platform::SelfManaged => s3,
    };
    if let Some(total) = one_copy_bytes(t) {
        let local = local_bytes(total, t, window_ms);
        push_local_disk(&mut cost, local, t, c, a, prices);
        // KIP-405 copies every rolled segment to remote storage and keeps the local copy only for the window.
        let remote_gib = total / GIB;
        cost.push(
            prices,
            Component::RemoteStorage,
            "GiB-month",
            remote_gib,
            remote_key(FixedPrice::MskTieredStorage, FixedPrice::S3Storage),
            Decimal::ONE,
        );
    }
    push_provisioned_performance(&mut cost, t, c, a, prices);
    push_kafka_traffic(&mut cost, t, c, a, prices);
    if let Some(rate) = t.bytes_in_per_sec {
        let written = monthly_bytes(rate, a);
        if c.platform == Platform::SelfManaged {
            let puts = written / (a.s3_upload_object_mib * MIB);
            cost.push(prices, Component::RemotePut, "requests", puts, FixedPrice::S3Put, Decimal::ONE);
        }
        let behind = groups_behind(t, window_ms);
        let read = written * Decimal::from(behind);
        match c.platform {
            Platform::Msk => cost.push(
                prices,
                Component::RemoteReads,
                "GiB",
                read / GIB,
                FixedPrice::MskTieredRetrieval,
                Decimal::ONE,
            ),
            Platform::SelfManaged => {
                let gets = read / (a.s3_read_object_mib * MIB);
                cost.push(prices, Component::RemoteReads, "requests", gets, FixedPrice::S3Get, Decimal::ONE)
            }
        }
    }
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    Ok(cost)
}

/// MSK's least `retention.ms` for a tiered topic: 3 days (Amazon MSK Developer Guide, "Guidelines for Amazon MSK
/// tiered storage topic-level configuration").
const MSK_TIERED_MIN_RETENTION_MS: i64 = 3 * 86_400_000;

/// Whether the topic can be tiered at all, and why not. KIP-405 takes no compacted topic. MSK also needs
/// `retention.ms` of at least 3 days (or unlimited) and a `local.retention.ms` below `retention.ms` (−2, "same as
/// retention", is allowed: a copy in each tier). Self-managed Kafka only needs the local window not above retention,
/// which the model's window always is.
pub fn tiered_eligibility(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions) -> Result<(), NotTierable> {
    if t.compacted {
        return Err(NotTierable::Compacted);
    }
    if c.platform != Platform::Msk {
        return Ok(());
    }
    let Some(retention) = t.retention_ms.filter(|r| *r >= 0) else { return Ok(()) };
    if retention < MSK_TIERED_MIN_RETENTION_MS {
        return Err(NotTierable::MskRetention { retention_ms: retention });
    }
    let assumed = a.tiered_local_retention_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND;
    let window = match t.tiered_window_ms.or(t.tiered_today) {
        Some(ms) if ms >= 0 => Decimal::from(ms),
        Some(_) => return Ok(()),
        None => assumed,
    };
    if window >= Decimal::from(retention) {
        return Err(NotTierable::MskWindow { window_ms: whole(window), retention_ms: retention });
    }
    Ok(())
}

/// Why a topic cannot be tiered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotTierable {
    #[error("compacted topics cannot use tiered storage (KIP-405)")]
    Compacted,
    #[error("MSK tiered storage needs retention.ms of at least 3 days; this topic keeps {}", crate::format::retention_ms(*.retention_ms))]
    MskRetention { retention_ms: i64 },
    #[error(
        "MSK tiered storage needs local.retention.ms below retention.ms; the local window would be {} of {}",
        crate::format::retention_ms(*.window_ms),
        crate::format::retention_ms(*.retention_ms)
    )]
    MskWindow { window_ms: i64, retention_ms: i64 },
}

/// Shared storage, AutoMQ-style: one copy in S3, a small WAL per broker, no replication between zones.
pub fn shared_storage(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = one_copy_bytes(t) {
        cost.push(prices, Component::S3Storage, "GiB-month", bytes / GIB, FixedPrice::S3Storage, Decimal::ONE);
    }
    if let Some(rate) = t.bytes_in_per_sec {
        let written = monthly_bytes(rate, a);
        // Measured per GiB written: uploads and compaction, and one group's reads. Each further group reads its
        // cold share in ranged GETs.
        let puts = written / GIB * a.shared_s3_puts_per_gib;
        cost.push(prices, Component::S3Put, "requests", puts, FixedPrice::S3Put, Decimal::ONE);
        let further_groups = Decimal::from((t.groups.len() as i64 - 1).max(0));
        let cold = written * further_groups * a.shared_cold_read_fraction;
        let gets = written / GIB * a.shared_s3_gets_per_gib + cold / (a.s3_read_object_mib * MIB);
        cost.push(prices, Component::S3Get, "requests", gets, FixedPrice::S3Get, Decimal::ONE);
        if let Some(share) = write_share(t, c) {
            push_wal(&mut cost, share, written / GIB, c, a, prices);
        }
        cost.push(prices, Component::VendorSubscription, "GiB written", written / GIB, VENDOR_KEY, Decimal::ONE);
        let routing = if a.zone_aware_clients { Routing::ZoneAware } else { Routing::AnyBroker };
        push_client_traffic(&mut cost, written / GIB, t, c, a, prices, routing);
    }
    if let Some(share) = write_share(t, c) {
        let hours = Decimal::from(c.shared_brokers(a)) * a.month_hours * share;
        let key = PriceKey::Ec2Instance(a.shared_instance_type.clone());
        cost.push(prices, Component::BrokerCompute, "broker-hours", hours, key, Decimal::ONE);
    }
    note_missing_inputs(&mut cost, t);
    cost
}

/// The write-ahead log of shared storage, the topic's write share of it: a gp3 volume per broker (`ebs`, durable
/// within its zone), a volume on a regional disk (`regional-disk`, priced by `wal.regional_disk.storage`, which a
/// config supplies), or objects uploaded every `wal_upload_interval_ms` by every broker to S3 Standard (`s3`,
/// regional) or S3 Express One Zone (`s3-express`: one zone per bucket, so `wal_zone_copies` copies of every object,
/// each paying the PUT and the per-GB upload fee). WAL objects are deleted once compacted and read back only to
/// recover a broker, so their storage and retrieval are left out.
fn push_wal(
    cost: &mut CostBreakdown,
    share: Decimal,
    written_gib: Decimal,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let brokers = Decimal::from(c.shared_brokers(a));
    let volume = a.wal_gib_per_broker * brokers * share;
    let uploads = brokers * a.month_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND / a.wal_upload_interval_ms * share;
    match a.wal {
        WalKind::Ebs => {
            cost.push(prices, Component::WalVolume, "GiB-month", volume, FixedPrice::Gp3Storage, Decimal::ONE)
        }
        WalKind::RegionalDisk => {
            cost.push(prices, Component::WalVolume, "GiB-month", volume, FixedPrice::WalRegionalDisk, Decimal::ONE)
        }
        WalKind::S3 => cost.push(prices, Component::WalPut, "requests", uploads, FixedPrice::S3Put, Decimal::ONE),
        WalKind::S3Express => {
            let copies = a.wal_zone_copies;
            cost.push(prices, Component::WalPut, "requests", uploads * copies, FixedPrice::S3ExpressPut, Decimal::ONE);
            cost.push(
                prices,
                Component::WalUpload,
                "GiB",
                written_gib * copies,
                FixedPrice::S3ExpressUpload,
                Decimal::ONE,
            );
        }
    }
}

/// The local retention window of the tiered scenario: the topic's own `local.retention.ms` when it is tiered
/// today, else the assumption. `None` = unlimited.
pub fn local_window_ms(t: &TopicInputs, a: &Assumptions) -> Option<Decimal> {
    let retention = t.retention_ms.filter(|r| *r >= 0).map(Decimal::from);
    let assumed = a.tiered_local_retention_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND;
    let window = match t.tiered_window_ms.or(t.tiered_today) {
        Some(ms) if ms >= 0 => Decimal::from(ms),
        Some(_) => return retention,
        None => assumed,
    };
    Some(retention.map_or(window, |r| window.min(r)))
}

/// Bytes of one copy inside the local window: the window's share of retention, or, with unlimited retention, the
/// window's worth of writes.
fn local_bytes(total: Decimal, t: &TopicInputs, window_ms: Option<Decimal>) -> Decimal {
    let Some(window) = window_ms else { return total };
    match t.retention_ms.filter(|r| *r > 0) {
        Some(r) => total * (window / Decimal::from(r)).min(Decimal::ONE),
        None => match t.bytes_in_per_sec.and_then(Decimal::from_f64) {
            Some(rate) => (rate * window / Decimal::ONE_THOUSAND).min(total),
            None => total,
        },
    }
}

/// Groups whose lag, in time, is longer than the local window: they read from remote storage. Lag in time =
/// messages behind × average record size ÷ write rate.
pub fn groups_behind(t: &TopicInputs, window_ms: Option<Decimal>) -> i64 {
    let Some(window) = window_ms else { return 0 };
    t.groups.iter().filter(|g| g.lag.and_then(|lag| lag_ms(t, lag)).is_some_and(|behind| behind > window)).count()
        as i64
}

/// How far behind `lag` messages are, in ms: messages × average record size (one copy's bytes ÷ messages
/// retained) ÷ write rate. `None` when any of those is unknown or zero.
pub fn lag_ms(t: &TopicInputs, lag: i64) -> Option<Decimal> {
    let (total, messages, rate) =
        (one_copy_bytes(t)?, t.messages_retained?, t.bytes_in_per_sec.and_then(Decimal::from_f64)?);
    if messages <= 0 || rate <= Decimal::ZERO {
        return None;
    }
    Some(Decimal::from(lag) * (total / Decimal::from(messages)) / rate * Decimal::ONE_THOUSAND)
}

/// `bytes` of one copy × RF on broker disks, and the headroom the target utilisation leaves unused.
fn push_local_disk(
    cost: &mut CostBreakdown,
    bytes: Decimal,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let rf = Decimal::from(t.replication_factor.max(1));
    let stored_gib = bytes * rf / GIB;
    let key = storage_price_key(c.platform);
    cost.push(prices, Component::RetainedStorage, "GiB-month", stored_gib, key, Decimal::ONE);
    let headroom = stored_gib * (Decimal::ONE / a.target_disk_utilization - Decimal::ONE);
    cost.push(prices, Component::DiskHeadroom, "GiB-month", headroom, key, Decimal::ONE);
}

/// Self-managed brokers' gp3 volumes: the throughput and IOPS the writes need above gp3's baseline (125 MiB/s and
/// 3,000 IOPS per volume, one volume per broker), shared by the topics in proportion to write rate × RF. Writes
/// only: consumers are assumed to read from the page cache. An I/O counts up to `ebs_io_kib` (256 KiB on SSD).
fn push_provisioned_performance(
    cost: &mut CostBreakdown,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let Some(rate) = t.bytes_in_per_sec else { return };
    if c.platform != Platform::SelfManaged || c.disk_write_bytes_per_sec <= 0.0 || c.brokers <= 0 {
        return;
    }
    let (Some(cluster_rate), Some(topic_rate)) =
        (Decimal::from_f64(c.disk_write_bytes_per_sec), Decimal::from_f64(rate * t.replication_factor.max(1) as f64))
    else {
        return;
    };
    let brokers = Decimal::from(c.brokers);
    let share = topic_rate / cluster_rate;
    let per_broker = cluster_rate / brokers;
    let mibps_over = (per_broker / MIB - GP3_BASELINE_MIBPS).max(Decimal::ZERO);
    let iops_over = (per_broker / (a.ebs_io_kib * Decimal::from(1024)) - GP3_BASELINE_IOPS).max(Decimal::ZERO);
    if !mibps_over.is_zero() {
        let q = mibps_over * brokers * share;
        cost.push(prices, Component::EbsThroughput, "MiB/s-month", q, FixedPrice::Gp3Throughput, Decimal::ONE);
    }
    if !iops_over.is_zero() {
        cost.push(
            prices,
            Component::EbsIops,
            "IOPS-month",
            iops_over * brokers * share,
            FixedPrice::Gp3Iops,
            Decimal::ONE,
        );
    }
}

/// Replication between zones and client traffic, as Kafka moves bytes with replicas on broker disks.
fn push_kafka_traffic(
    cost: &mut CostBreakdown,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let Some(rate) = t.bytes_in_per_sec else { return };
    let written_gib = monthly_bytes(rate, a) / GIB;
    match t.placement.replication_crossings() {
        Some(crossings) => {
            let key = replication_price_key(c.platform);
            cost.push(prices, Component::InterAzReplication, "GiB", written_gib * crossings, key, TWO_SIDES);
        }
        None => note_unknown_zones(cost, Component::InterAzReplication, t.placement.unknown_followers()),
    }
    push_client_traffic(cost, written_gib, t, c, a, prices, Routing::Kafka);
}

/// How clients find the broker they talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Routing {
    /// Kafka with replicas on broker disks: the partition's leader, or with fetch-from-follower (KIP-392) a
    /// replica in the consumer's zone when there is one.
    Kafka,
    /// Shared storage with zone-aware clients: any broker in the client's zone.
    ZoneAware,
    /// Shared storage without: a broker picked in proportion to the brokers per zone.
    AnyBroker,
}

/// The share of `clients`' traffic that crosses a zone on Kafka as it runs today: to the partitions' leaders, or,
/// fetching from followers, to the nearest replica. `None` when a zone it depends on is unknown.
pub fn kafka_crossing(t: &TopicInputs, c: &ClusterInputs, clients: &Clients, from_followers: bool) -> Option<Decimal> {
    let d = Distribution::of(clients, &c.zone_names());
    if from_followers { d.follower_fetch_crossing(&t.placement) } else { d.leader_crossing(&t.placement) }
}

fn note_unknown_zones(cost: &mut CostBreakdown, name: Component, why: Option<String>) {
    cost.missing.push(Missing { part: Part::Component(name), reason: Reason::ZoneUnknown(why) });
}

/// Producers writing to, and consumer groups reading from, a broker in another zone: per byte, the share of the
/// clients' traffic whose broker is not in their zone (`zones`). A group fetches from followers when its rule says
/// so, else `[model] fetch_from_follower`.
fn push_client_traffic(
    cost: &mut CostBreakdown,
    written_gib: Decimal,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
    routing: Routing,
) {
    let zones = c.zone_names();
    let crossing = |clients: &Clients, from_followers: bool| -> Option<Decimal> {
        let d = Distribution::of(clients, &zones);
        match routing {
            Routing::Kafka if from_followers => d.follower_fetch_crossing(&t.placement),
            Routing::Kafka => d.leader_crossing(&t.placement),
            Routing::ZoneAware => Some(d.zone_routed_crossing(&zones)),
            Routing::AnyBroker => Some(d.broker_routed_crossing(&c.broker_zones)),
        }
    };
    // Zone-aware shared storage crosses only from zones without a broker: the lines appear when something does.
    let show = |q: Decimal| routing != Routing::ZoneAware || !q.is_zero();
    match crossing(&t.producers, false) {
        Some(x) if show(x) => {
            cost.push(prices, Component::InterAzProduce, "GiB", written_gib * x, FixedPrice::InterAzTransfer, TWO_SIDES)
        }
        Some(_) => {}
        None => note_unknown_zones(cost, Component::InterAzProduce, t.placement.unknown_leaders()),
    }
    let mut read = Decimal::ZERO;
    for g in &t.groups {
        let from_followers = g.fetch_from_follower.unwrap_or(a.fetch_from_follower);
        match crossing(&g.clients, from_followers) {
            Some(x) => read += written_gib * x,
            None => {
                let why = if from_followers { t.placement.unknown_followers() } else { t.placement.unknown_leaders() };
                return note_unknown_zones(cost, Component::InterAzConsume, why);
            }
        }
    }
    if show(read) {
        cost.push(prices, Component::InterAzConsume, "GiB", read, FixedPrice::InterAzTransfer, TWO_SIDES);
    }
}

fn push_compute(cost: &mut CostBreakdown, t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) {
    if let Some(share) = write_share(t, c) {
        let hours = Decimal::from(c.brokers) * a.month_hours * share;
        cost.push(prices, Component::BrokerCompute, "broker-hours", hours, c.broker_price_key.clone(), Decimal::ONE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::assumptions::WalKind;
    use crate::model::zones::{ClientZones, PartitionPlace, WeightBasis, ZoneShare, ZoneSource};
    use rust_decimal::dec;

    fn abc() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    /// us-east-1 list prices, with the test cluster's MSK prices pinned (the book has no MSK price: its AmazonMSK
    /// offer could not be read) so the hand computations do not move when the book does.
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
            brokers: 6,
            zones: 3,
            broker_zones: abc().into_iter().map(|z| (z, 2)).collect(),
            broker_price_key: "msk.broker.kafka.m5.2xlarge".parse::<crate::prices::PriceKey>().unwrap(),
            cluster_bytes_in_per_sec: 4.0 * 1_048_576.0,
            disk_write_bytes_per_sec: 12.0 * 1_048_576.0,
            read_bytes_per_sec: 8.0 * 1_048_576.0,
        }
    }

    /// 100 GiB retained, RF 3, 1 MiB/s written, 2 consumer groups; 6 partitions, leaders two in each of the zones
    /// a, b, c, each follower in another zone; clients evenly in a, b, c.
    fn topic() -> TopicInputs {
        TopicInputs {
            replication_factor: 3,
            retained_bytes: Some(100 * 1_073_741_824),
            partitions_size_unknown: 0,
            bytes_in_per_sec: Some(1_048_576.0),
            retention_ms: Some(7 * 86_400_000),
            compacted: false,
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
            assert!(
                tiered_storage(&TopicInputs { retention_ms: Some(r), ..topic() }, &msk, &a, &book()).is_ok(),
                "{r}"
            );
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
        let msk = tiered_storage(&topic(), &cluster(Platform::Msk), &Assumptions::default(), &book()).unwrap();
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
        let a = Assumptions::default(); // m7g.4xlarge at 960 MiB/s, compaction 0.5
        let mib = 1_048_576.0;
        let sized = |written: f64, read: f64| {
            let c = ClusterInputs {
                cluster_bytes_in_per_sec: written * mib,
                read_bytes_per_sec: read * mib,
                ..cluster(Platform::Msk)
            };
            c.shared_brokers(&a)
        };
        // 1 GiB/s written and read once: out 1,024 + 512 + 1,024 = 2,560 MiB/s ÷ 960 = 2.67 → 3
        assert_eq!(sized(1024.0, 1024.0), 3);
        // 1 GiB/s read three times: 1,024 + 512 + 3,072 = 4,608 ÷ 960 = 4.8 → 5
        assert_eq!(sized(1024.0, 3072.0), 5);
        // 2 GiB/s read once: 5,120 ÷ 960 = 5.33 → 6
        assert_eq!(sized(2048.0, 2048.0), 6);
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
        assert!(
            regional.iter().any(|m| m.reason == Reason::NoPrice(FixedPrice::WalRegionalDisk.into())),
            "{regional:?}"
        );
    }
}
