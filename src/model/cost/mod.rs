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
//! - MSK Express: one copy of `B` in Express storage, `W` priced as data written, replication free, clients as on
//!   Kafka today; brokers sized from AWS's per-size throughput and partition figures, by write share.
//!
//! The inter-AZ price is charged on each side of a transfer, hence the factor 2. A quantity that cannot be known
//! (a partition size not collected, no write-rate metric, a zone not reported) or a price missing from the book
//! leaves its component out and is named in `missing`, so a total is never silently low.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use crate::model::assumptions::{Assumptions, WalKind};
use crate::model::zones::{Clients, Distribution, Placement};
use crate::prices::{FixedPrice, PriceBook, PriceKey, VENDOR_KEY};
use crate::settings::{Platform, VolumeType};

mod broker_local;
mod express;
mod shared;
mod tiered;
mod traffic;

pub use broker_local::broker_local;
use broker_local::{push_local_disk, push_provisioned_performance};
pub use express::{EXPRESS_SIZES, ExpressFleet, ExpressSize, express, express_brokers, express_fleet};
pub use shared::shared_storage;
pub use tiered::{NotTierable, groups_behind, local_bytes, local_window_ms, tiered_eligibility, tiered_storage};
pub use traffic::kafka_crossing;
use traffic::{Routing, push_client_traffic, push_compute, push_kafka_traffic};

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
    /// Changed retention or write rate on a topic at its `retention.bytes`, and no write rate to tell which bound
    /// holds after the change.
    BoundUnknown,
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
            Reason::BoundUnknown => f.write_str(
                "the topic is at its retention.bytes bound, and without a write rate whether the change moves it \
                 below that bound cannot be told",
            ),
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
    /// Records written per second (`MessagesInPerSec`), window average; `None` when not collected.
    pub messages_in_per_sec: Option<f64>,
    /// An internal topic (`__consumer_offsets`, `__amazon_msk_canary`, `__transaction_state`, …): the platform pays
    /// for its storage, and its traffic is the brokers' own (offset commits, canary writes), carried by the broker
    /// hours the workload topics share. It needs no write-rate metric: without one, it is priced by its storage.
    pub internal: bool,
    /// `retention.ms`: `None` unknown, negative = unlimited.
    pub retention_ms: Option<i64>,
    /// `retention.bytes` per partition: `None` unknown, negative = unlimited. Kafka deletes a partition's oldest
    /// segments at whichever of the two bounds is reached first.
    pub retention_bytes: Option<i64>,
    /// A change of retention or write rate (a what-if, an action) could not tell whether `retention.bytes` or
    /// `retention.ms` bounds the topic: its bytes are unknown (`retained_bytes` is `None`).
    pub bound_unknown: bool,
    /// `cleanup.policy` includes `compact` (KIP-405 tiered storage does not take compacted topics).
    pub compacted: bool,
    /// `cleanup.policy` includes `delete` (or is unknown: Kafka's default): only then do `retention.ms` and
    /// `retention.bytes` delete anything. A compact-only topic keeps its latest value per key whatever they say.
    pub deletes: bool,
    /// `min.insync.replicas`: fewer replicas than this and acks=all producers fail (`NOT_ENOUGH_REPLICAS`).
    pub min_insync_replicas: Option<i64>,
    /// `segment.bytes` and `segment.ms`: a partition's active segment rolls at whichever comes first, and retention
    /// deletes rolled segments only (None: not read, and no segment term is added).
    pub segment_bytes: Option<i64>,
    pub segment_ms: Option<i64>,
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
    /// The group has members (its state is neither `Empty` nor `Dead`); an unknown state counts as active.
    pub active: bool,
    /// Copies of what is written that the group reads (1 = every byte once; 0 = not a reader), and what says so
    /// ([`reads::assign`](crate::model::reads::assign)).
    pub reads: Decimal,
    pub read_basis: ReadBasis,
    /// Copies read as its committed offsets measure them (their rate over the log end's, from the same pair of
    /// readings); None without two readings.
    pub committed_reads: Option<Decimal>,
}

pub use crate::report_model::ReadBasis;

impl TopicInputs {
    /// Copies of what is written that the topic's groups read, together.
    pub fn reads(&self) -> Decimal {
        self.groups.iter().map(|g| g.reads).sum()
    }
}

impl TopicInputs {
    /// The same topic with its retention × `factor`, writes unchanged: the bytes and records retained change as
    /// [`retained_ratio`](Self::retained_ratio) says (on a topic tiered today, only the remote part grows; the local
    /// window stays).
    pub fn with_retention_factor(&self, factor: Decimal) -> TopicInputs {
        let retention_ms = self.retention_ms.map(|r| if r > 0 { whole(Decimal::from(r) * factor) } else { r });
        // Under `cleanup.policy=compact` alone Kafka deletes nothing by retention: the bytes stay.
        if self.tiered_today.is_some() || !self.deletes {
            return TopicInputs { retention_ms, ..self.clone() };
        }
        // Unlimited retention has no time bound to scale: its bytes are taken to scale with the factor (the choice's
        // "twice the data" line), as before a size bound was read.
        let ratio = if self.retention_ms.is_some_and(|r| r > 0) {
            self.retained_ratio(factor, Decimal::ONE)
        } else {
            Some(factor)
        };
        TopicInputs { retention_ms, ..self.with_bytes_ratio(ratio) }
    }

    /// The same topic writing `factor` times as fast, retention unchanged: a time-bound retention keeps more bytes
    /// and records, up to the size bound ([`retained_ratio`](Self::retained_ratio)); unlimited retention keeps what it
    /// has. Consumers read the same share.
    pub fn with_rate_factor(&self, factor: Decimal) -> TopicInputs {
        // A compact-only topic keeps one value per key: its size follows its keys, not its write rate.
        let ratio = if self.deletes && self.retention_ms.is_some_and(|r| r > 0) {
            self.retained_ratio(Decimal::ONE, factor)
        } else {
            Some(Decimal::ONE)
        };
        TopicInputs {
            bytes_in_per_sec: self.bytes_in_per_sec.map(|r| r * factor.to_f64().unwrap_or(1.0)),
            ..self.with_bytes_ratio(ratio)
        }
    }

    /// The same topic with its bytes and records retained × `ratio`; unknown (and said to be) without one.
    fn with_bytes_ratio(&self, ratio: Option<Decimal>) -> TopicInputs {
        let scale = |v: i64| ratio.map(|r| whole(Decimal::from(v) * r));
        TopicInputs {
            retained_bytes: self.retained_bytes.and_then(scale),
            messages_retained: self.messages_retained.and_then(scale),
            bound_unknown: self.bound_unknown || (self.retained_bytes.is_some() && ratio.is_none()),
            ..self.clone()
        }
    }

    /// How one copy's bytes change when retention is × `retention` and the write rate × `rate`: the bytes after
    /// ([`partition_bytes_after`](Self::partition_bytes_after)) over today's. Without a size bound and without a
    /// write rate this is `retention × rate`. `None` when unknown.
    pub fn retained_ratio(&self, retention: Decimal, rate: Decimal) -> Option<Decimal> {
        let capped = self.retention_bytes.is_some_and(|b| b > 0);
        if !capped && !self.time_bound_known() {
            return Some(retention * rate);
        }
        let total = Decimal::from(self.retained_bytes?);
        if total <= Decimal::ZERO {
            return (!capped).then_some(retention * rate);
        }
        let after: Decimal = self.partition_bytes_after(retention, rate)?.iter().sum();
        Some(after / total)
    }

    /// No segment setting was read: the time bound is then taken as today's bytes scaled, as before segments.
    fn segment_window_unknown(&self) -> bool {
        self.segment_ms.is_none() && self.segment_bytes.is_none()
    }

    /// Each partition's bytes (one copy) after retention × `retention` and the write rate × `rate`, in placement
    /// order, as Kafka keeps them. Retention deletes rolled segments only, and a partition's active segment rolls at
    /// `segment.bytes` or `segment.ms`, whichever comes first: so a time-bound partition written at `r_p` holds
    /// `r_p × (R + T_p / 2)` at steady state, `T_p = min(segment.ms, segment.bytes ÷ r_p)` (the active segment is
    /// half full on average), and a size-bound one `retention.bytes` plus half a segment; it holds the lesser.
    /// `r_p` is the partition's share of the write rate (its placement weight). Without a write rate, or without
    /// any segment setting, the time bound is today's bytes × `retention × rate` (a partition at its size bound
    /// cannot then tell which bound holds: unknown). `None` when unknown (no partitions, no size).
    pub fn partition_bytes_after(&self, retention: Decimal, rate: Decimal) -> Option<Vec<Decimal>> {
        let total = Decimal::from(self.retained_bytes?);
        if self.placement.partitions.is_empty() {
            return None;
        }
        let cap = self.retention_bytes.filter(|b| *b > 0).map(Decimal::from);
        let r_ms = self.retention_ms.filter(|r| *r > 0).map(Decimal::from);
        let writes = self.bytes_in_per_sec.and_then(Decimal::from_f64);
        let factor = retention * rate;
        self.placement
            .partitions
            .iter()
            .map(|p| {
                let today = total * p.share;
                match (writes, r_ms, cap) {
                    // Segments known: the steady state Kafka heads for.
                    (Some(w), Some(r), _) if self.time_bound_known() => {
                        let w_p = w * rate * p.share;
                        let (segment_ms, segment_bytes) = self.segment_roll(w_p);
                        let time = w_p * (r * retention + segment_ms / Decimal::TWO) / Decimal::ONE_THOUSAND;
                        Some(cap.map_or(time, |cap| time.min(cap + segment_bytes / Decimal::TWO)))
                    }
                    // No segment setting: today's bytes scaled by the time bound, held to the size bound.
                    (Some(w), Some(r), Some(cap)) => {
                        let over_retention = w * p.share * r / Decimal::ONE_THOUSAND;
                        let bound_today = over_retention.min(cap);
                        Some(if bound_today <= Decimal::ZERO {
                            today
                        } else {
                            today * (over_retention * factor).min(cap) / bound_today
                        })
                    }
                    (_, _, None) => Some(today * factor),
                    // Within 1 % of the bound: at it (Kafka holds up to a segment over it), so the time bound is
                    // unknown without a write rate.
                    (_, _, Some(cap)) if today < cap * Decimal::new(99, 2) => Some((today * factor).min(cap)),
                    (_, _, Some(_)) => None,
                }
            })
            .collect()
    }

    /// The time bound can be put in bytes as Kafka keeps them: a write rate, a finite retention and a segment
    /// setting are known.
    pub fn time_bound_known(&self) -> bool {
        self.bytes_in_per_sec.is_some() && self.retention_ms.is_some_and(|r| r > 0) && !self.segment_window_unknown()
    }

    /// How long a partition written at `w_p` bytes/s fills its active segment before it rolls, in ms, and the
    /// segment's bytes then: `segment.ms`, or sooner `segment.bytes ÷ w_p`.
    fn segment_roll(&self, w_p: Decimal) -> (Decimal, Decimal) {
        let by_age = self.segment_ms.filter(|m| *m > 0).map(Decimal::from);
        let by_size = self
            .segment_bytes
            .filter(|b| *b > 0 && w_p > Decimal::ZERO)
            .map(|b| Decimal::from(b) / w_p * Decimal::ONE_THOUSAND);
        let ms = match (by_age, by_size) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => Decimal::ZERO,
        };
        (ms, w_p * ms / Decimal::ONE_THOUSAND)
    }

    /// Bytes of one copy each partition frees when retention is × `factor`, in placement order: today's bytes less
    /// the bytes after ([`partition_bytes_after`](Self::partition_bytes_after)), never below 0 (a partition still
    /// filling frees none). A topic tiered today keeps its local window, so frees none. `None` when unknown.
    pub fn partition_freed(&self, factor: Decimal) -> Option<Vec<Decimal>> {
        if self.tiered_today.is_some() {
            return Some(vec![Decimal::ZERO; self.placement.partitions.len()]);
        }
        let total = Decimal::from(self.retained_bytes?);
        let after = self.partition_bytes_after(factor, Decimal::ONE)?;
        Some(
            self.placement
                .partitions
                .iter()
                .zip(after)
                .map(|(p, a)| (total * p.share - a).max(Decimal::ZERO))
                .collect(),
        )
    }

    /// The same per broker holding a replica, largest first; `None` when the brokers are not known.
    pub fn disk_freed(&self, factor: Decimal) -> Option<Vec<(i64, Decimal)>> {
        let freed = self.partition_freed(factor)?;
        let mut per_broker: std::collections::BTreeMap<i64, Decimal> = Default::default();
        for (p, bytes) in self.placement.partitions.iter().zip(freed) {
            if p.brokers.is_empty() {
                return None;
            }
            for b in &p.brokers {
                *per_broker.entry(*b).or_default() += bytes;
            }
        }
        let mut out: Vec<(i64, Decimal)> = per_broker.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Some(out)
    }
}

/// What the formulas need to know about the topic's cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInputs {
    pub platform: Platform,
    /// A self-managed cluster's EBS volume type, as billed (else as configured); None = gp3. On MSK, unused.
    pub volume: Option<VolumeType>,
    pub brokers: i64,
    pub zones: i64,
    /// Each zone (rack) with brokers, and how many; brokers without a rack are not in it.
    pub broker_zones: Vec<(String, i64)>,
    pub broker_price_key: PriceKey,
    /// Sum of the cluster's topics' write rates; the denominator of compute and WAL shares.
    pub cluster_bytes_in_per_sec: f64,
    /// Sum over the cluster's topics of write rate × RF: what the brokers' disks take in.
    pub disk_write_bytes_per_sec: f64,
    /// Sum over the cluster's topics of write rate × the copies their groups read: what consumers read.
    pub read_bytes_per_sec: f64,
    /// The cluster's partitions (leaders), which Express brokers are sized for with its partition quota.
    pub partitions: i64,
}

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
            read_bytes_per_sec: self.read_bytes_per_sec + extra * t.reads().to_f64().unwrap_or(0.0),
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
        let per_broker = a.shared_instance_network_mibps * MIB * a.shared_target_network_utilization;
        // Zone-aware clients use their own zone's brokers only: each zone is sized for its share, evenly.
        let zones = if a.zone_aware_clients { self.zones.max(1) } else { 1 };
        let per_zone = busiest / Decimal::from(zones);
        let by_throughput =
            if per_broker > Decimal::ZERO { whole((per_zone / per_broker).ceil()) * zones } else { zones };
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

impl ClusterInputs {
    /// The broker storage price key: MSK storage on MSK; the volume type's EBS storage on self-managed brokers.
    pub fn storage_key(&self) -> FixedPrice {
        match (self.platform, self.volume) {
            (Platform::Msk, _) => FixedPrice::MskStorage,
            (Platform::SelfManaged, Some(VolumeType::Gp2)) => FixedPrice::Gp2Storage,
            (Platform::SelfManaged, _) => FixedPrice::Gp3Storage,
        }
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
    if t.bound_unknown {
        cost.missing.push(storage(Reason::BoundUnknown));
    } else if t.retained_bytes.is_none() {
        cost.missing.push(storage(Reason::SizeNotCollected { partitions: t.partitions_size_unknown }));
    } else if one_copy_bytes(t).is_none() {
        cost.missing.push(storage(Reason::RemoteBytesUnknown));
    }
    if t.bytes_in_per_sec.is_none() && !t.internal {
        cost.missing.push(Missing { part: Part::Traffic, reason: Reason::NoWriteRate });
    }
}

/// How far behind `lag` offsets are, in ms: offsets ÷ records written per second (`MessagesInPerSec`), or, without
/// that metric, offsets × average record size (one copy's bytes ÷ offsets retained) ÷ write rate. Compaction removes
/// records and leaves their offsets behind, so on a compacted topic bytes ÷ offsets is no record size (190 B where
/// records are 1,500 B): there the lag in time needs the records-per-second metric, and is unknown without it.
/// `None` when unknown or a rate is zero.
pub fn lag_ms(t: &TopicInputs, lag: i64) -> Option<Decimal> {
    if lag == 0 {
        return Some(Decimal::ZERO);
    }
    if let Some(records) = t.messages_in_per_sec.filter(|r| *r > 0.0).and_then(Decimal::from_f64) {
        return Some(Decimal::from(lag) / records * Decimal::ONE_THOUSAND);
    }
    if t.compacted {
        return None;
    }
    let (total, messages, rate) =
        (one_copy_bytes(t)?, t.messages_retained?, t.bytes_in_per_sec.and_then(Decimal::from_f64)?);
    if messages <= 0 || rate <= Decimal::ZERO {
        return None;
    }
    Some(Decimal::from(lag) * (total / Decimal::from(messages)) / rate * Decimal::ONE_THOUSAND)
}

#[cfg(test)]
pub(crate) mod tests;
