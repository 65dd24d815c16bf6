//! The report model's own copies of what the model computes and the settings it echoes: costs, choices, prices,
//! scorecards, actions, sizing, history, assumptions, what-ifs, sources and findings.
//!
//! Each is plain data, built by a `From` conversion in `model/publish.rs` that destructures the model's type
//! field by field: a field added to or renamed in the model does not compile there until someone decides what
//! `model.json` shows of it, and whatever changes here moves the pinned schema (`schema_pin.rs`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::vocabulary::{
    AccessIssueKind, ActionBoundary, ActionKind, Bottleneck, CapacityLimit, Component, Dimension, GapKind, PriceBasis,
    Scenario, Verdict,
};

/// One priced line of a cost: `monthly_usd = quantity × unit_price_usd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CostComponent {
    pub name: Component,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_price_usd: Decimal,
    /// The price-book key; the cluster's `prices` give its source and basis. `unit_price_usd` is that price ×
    /// `price_multiplier` (2 for inter-AZ transfer, billed on both sides; omitted when 1).
    pub price_key: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub price_multiplier: Decimal,
    pub monthly_usd: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

fn is_one(d: &Decimal) -> bool {
    *d == Decimal::ONE
}

/// A placement's cost for one topic (or a roll-up): its components and what could not be priced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CostBreakdown {
    pub components: Vec<CostComponent>,
    pub monthly_usd: Decimal,
    /// Inputs or prices that were missing; a non-empty list means `monthly_usd` is a lower bound.
    pub missing: Vec<String>,
}

impl CostBreakdown {
    /// The monthly cost when nothing is missing; None (unknown) when something is.
    pub fn known_usd(&self) -> Option<Decimal> {
        self.missing.is_empty().then_some(self.monthly_usd)
    }
}

/// The cheapest placement, the saving, and where the choice flips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Choice {
    pub cheapest: Scenario,
    /// Today's cost minus the cheapest scenario's (0 when today's placement is the cheapest).
    pub saving_usd: Decimal,
    pub flip: Option<Flip>,
    /// The nearest flip by write rate; None when no line crosses at a positive rate.
    #[serde(default)]
    pub rate_flip: Option<RateFlip>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Flip {
    pub to: Scenario,
    /// Multiple of today's retention (below 1: shorter) at which `to` becomes the cheapest.
    pub retention_factor: Decimal,
    /// The same as a retention, when today's retention is finite.
    pub retention_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RateFlip {
    pub to: Scenario,
    /// Multiple of today's write rate at which `to` becomes the cheapest (about: see `model::choice`).
    pub rate_factor: Decimal,
}

/// One price a cluster was priced with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Price {
    pub key: String,
    pub region: String,
    pub unit: String,
    pub usd: Decimal,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub basis: PriceBasis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Check {
    pub dimension: Dimension,
    pub verdict: Verdict,
    pub reason: String,
}

/// A topic's (or an owner's rolled-up) readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Scorecard {
    /// The worst of the checks.
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

impl Scorecard {
    pub fn check(&self, d: Dimension) -> Option<&Check> {
        self.checks.iter().find(|c| c.dimension == d)
    }
}

/// The thresholds of the scorecard and the next-action rules (`[readiness]` in the config), as this run used them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ReadinessRules {
    /// Cross-AZ transfer above this share of a topic's cost today: placement is `watch`.
    pub cross_az_share_watch: Decimal,
    /// Savings below this (USD per month) are not worth an action or a `watch`.
    pub min_saving_usd: Decimal,
    /// Shared storage must save at least this share of today's cost to propose a migration.
    pub migration_saving_share: Decimal,
    /// Retention must cover the slowest group's lag this many times over; less is `watch`, lag beyond retention
    /// is `blocked`.
    pub replay_margin: Decimal,
    /// Retention this many times above what replay needs is proposed shorter.
    pub retention_excess_factor: Decimal,
    /// Never propose a retention shorter than this many hours.
    pub min_retention_hours: Decimal,
    /// Billed broker storage above the modelled need by more than this share: propose smaller volumes.
    pub headroom_excess_share: Decimal,
    /// The catalog owner that approves cluster-level changes (broker settings, volumes, owners).
    pub platform_owner: String,
    /// A partition's lag (or log-end growth) at least this many times the mean of the others' is skewed. Added in
    /// version 15.
    pub lag_skew_factor: Decimal,
    /// Lag growing by less than this share of the messages written between the runs is keeping pace, not WARN.
    /// Added in version 15.
    pub lag_growth_share: Decimal,
}

/// A proposed next action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Action {
    pub kind: ActionKind,
    /// The owner whose pack carries the action (the topic's owner; the platform owner for cluster-level actions).
    pub owner: String,
    pub cluster: String,
    pub topic: Option<String>,
    /// What to do, in one line.
    pub summary: String,
    /// Why: the rule and the figures it fired on.
    pub evidence: String,
    pub monthly_saving_usd: Decimal,
    /// A placement change's saving, split like for like: right-sizing today's cluster, with no migration (today −
    /// broker-local right-sized), and changing the architecture (right-sized − the new placement). They add up to
    /// `monthly_saving_usd`; None for other actions, or when the right-sized cost is unknown.
    pub right_size_saving_usd: Option<Decimal>,
    pub architecture_saving_usd: Option<Decimal>,
    /// Who can approve it: the topic's owner, or the platform owner for broker and volume changes.
    pub approver: String,
    /// Who may take it, by what it touches; and how it is undone (docs/handoff.md, "Safe action boundary"). Both
    /// the tool's defaults per kind. Added in version 15.
    pub boundary: ActionBoundary,
    pub rollback: String,
    /// Broker disk the action frees, GiB over every replica; None when it frees none.
    pub disk_freed_gib: Option<Decimal>,
    /// The same per broker, largest first (empty when the brokers are not known).
    pub disk_freed: Vec<BrokerDisk>,
    /// What shows on the bill only once a follow-up is taken as well: disk freed on provisioned volumes is billed
    /// until the volumes shrink. Not part of `monthly_saving_usd`.
    pub follow_up: Option<FollowUp>,
    /// Disk an action adds (GiB over every broker it grows) and what that costs a month; null for the others.
    pub disk_added_gib: Option<Decimal>,
    pub monthly_cost_usd: Option<Decimal>,
    /// The day it must be done by (`YYYY-MM-DD`), when it has one.
    pub due_by: Option<String>,
}

/// A broker and GiB on its disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BrokerDisk {
    pub broker: i64,
    pub gib: Decimal,
}

/// The action that makes another's saving show on the bill, and what it is then worth a month (None when a price
/// or a broker's bytes are unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FollowUp {
    pub kind: ActionKind,
    pub saving_usd: Option<Decimal>,
    /// Why the follow-up is needed.
    pub note: String,
}

/// A cluster sized broker-local for its own load, beside what runs today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
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
    /// One broker's network bandwidth, MiB/s (`broker_network_mibps`, else the instance's EC2 baseline); None = not
    /// known, so not a bound.
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
    /// Broker disk the bytes on it today need at the target utilisation u, GiB: on MSK (one volume size for every
    /// broker) the fullest broker's bytes ÷ u × brokers; self-managed, each broker's own ÷ u, summed. None when a
    /// partition's size is unknown.
    pub disk_gib_needed: Option<Decimal>,
    /// The broker holding the most bytes, and how many GiB: on MSK, which sets one volume size for every broker,
    /// it sets them all.
    pub fullest_broker: Option<i64>,
    pub fullest_broker_gib: Option<Decimal>,
    /// Broker storage provisioned today as the bill shows it: its storage class's GB-months per month. None
    /// without a billed storage line.
    pub disk_gib_billed: Option<Decimal>,
    /// Priced with the cluster's prices (its bill's where it has them): the sized brokers and today's, a month of
    /// each, and the sized disk. None where a price is missing.
    pub compute_needed_monthly_usd: Option<Decimal>,
    pub compute_today_monthly_usd: Option<Decimal>,
    pub disk_needed_monthly_usd: Option<Decimal>,
}

/// How many earlier runs were compared, and when an owner's change is an anomaly (`[history]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct HistoryRules {
    /// Earlier runs kept in the trend.
    pub runs: usize,
    /// An owner's cost moving by more than this share of the previous run's is an anomaly.
    pub anomaly_share: Decimal,
    /// ...and by at least this many USD per month.
    pub anomaly_min_usd: Decimal,
}

/// One run in the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RunPoint {
    /// The run directory's name; `this run` for the run being written.
    pub run_id: String,
    pub captured_at: String,
    /// None when unknown (a topic's cost missing a part), as is an owner's.
    pub current_monthly_usd: Option<Decimal>,
    pub owners: BTreeMap<String, Option<Decimal>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OwnerDelta {
    pub owner: String,
    /// None when the owner did not exist in the previous run.
    pub previous_usd: Option<Decimal>,
    /// None when the owner is gone in this run.
    pub current_usd: Option<Decimal>,
    pub delta_usd: Decimal,
    /// delta ÷ previous; None without a previous cost.
    pub delta_share: Option<Decimal>,
    pub anomaly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TopicDelta {
    /// `cluster/topic`.
    pub topic: String,
    pub owner: String,
    pub previous_usd: Option<Decimal>,
    pub current_usd: Option<Decimal>,
    pub delta_usd: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Growth {
    pub bytes: i64,
    pub bytes_per_day: Option<i64>,
}

/// This run compared with earlier runs under the same output directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct HistoryReport {
    pub rules: HistoryRules,
    /// The run compared with; None on a first run.
    pub previous_run: Option<String>,
    pub total_delta_usd: Option<Decimal>,
    pub owners: Vec<OwnerDelta>,
    /// Topics whose cost moved, biggest move first (at most 50).
    pub topics: Vec<TopicDelta>,
    pub new_topics: Vec<String>,
    pub deleted_topics: Vec<String>,
    /// Per `cluster/topic` known in both runs: bytes retained now minus then, and that per day of capture time
    /// between the two runs (None when the capture times are the same or unknown).
    pub growth: BTreeMap<String, Growth>,
    /// Earlier runs, oldest first, then this run.
    pub runs: Vec<RunPoint>,
    /// Earlier run directories that could not be compared, and why.
    pub skipped: Vec<String>,
}

/// The model's assumptions, as this run used them (`[model]` in the config; docs/cost-model.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Assumptions {
    /// Hours in a billing month (AWS's convention: 730).
    pub month_hours: Decimal,
    /// Share of provisioned broker disk the platform aims to use; the rest is headroom, costed as its own line.
    pub target_disk_utilization: Decimal,
    /// Zones clients are spread over, evenly, when no rule or measurement says where they are. `None` = evenly
    /// over the zones the cluster's brokers span.
    pub client_zones: Option<u32>,
    /// Shared storage: clients produce to and consume from a broker in their own zone (AutoMQ zone routing).
    pub zone_aware_clients: bool,
    /// Broker-local: consumers fetch from a replica in their own zone (KIP-392, `client.rack` set).
    pub fetch_from_follower: bool,
    /// Tiered storage: average size of an object uploaded to S3, in MiB.
    pub s3_upload_object_mib: Decimal,
    /// Shared storage: S3 PUTs per GiB written, compaction included.
    pub shared_s3_puts_per_gib: Decimal,
    /// Shared storage: S3 GETs per GiB written, with one consumer group reading it and compaction included.
    pub shared_s3_gets_per_gib: Decimal,
    /// Average size of one ranged GET, in MiB.
    pub s3_read_object_mib: Decimal,
    /// Shared storage: share of the bytes each consumer group beyond the first reads from S3.
    pub shared_cold_read_fraction: Decimal,
    /// Shared storage: where the write-ahead log lives.
    pub wal: WalKind,
    /// Shared storage: write-ahead-log volume per broker, GiB (`ebs`, `regional-disk`).
    pub wal_gib_per_broker: Decimal,
    /// Shared storage: how often each broker uploads its WAL object (`s3`, `s3-express`), in ms.
    pub wal_upload_interval_ms: Decimal,
    /// Shared storage, `wal = "s3-express"`: copies of every WAL object, one per zone.
    pub wal_zone_copies: Decimal,
    /// Shared storage: the EC2 instance type its brokers run on.
    pub shared_instance_type: String,
    /// Shared storage: the network throughput one such broker sustains, MiB/s, out and in.
    pub shared_instance_network_mibps: Decimal,
    /// Shared storage: the fewest brokers, whatever the throughput; `None` = one per zone the cluster spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_min_brokers: Option<u32>,
    /// Shared storage: bytes compaction reads from S3 and writes back, per byte written.
    pub shared_compaction_factor: Decimal,
    /// Broker-local sizing: the percentile of the cluster's write-rate points sized for.
    pub sizing_percentile: Decimal,
    /// Broker-local sizing: writes one broker's volume sustains, MiB/s.
    pub broker_write_mibps: Decimal,
    /// Broker-local sizing: one broker's network bandwidth, MiB/s, each direction; `None` = not a bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_network_mibps: Option<Decimal>,
    /// Broker-local: the share of a broker's volume throughput and network baseline planned for. Added in version 11.
    pub target_throughput_utilization: Decimal,
    /// Shared storage: the share of a broker's network baseline planned for. Added in version 11.
    pub shared_target_network_utilization: Decimal,
    /// Size an EBS SSD volume counts one I/O up to, KiB.
    pub ebs_io_kib: Decimal,
    /// Tiered storage: hours kept on broker disks (`local.retention.ms`) for topics not tiered today.
    pub tiered_local_retention_hours: Decimal,
    /// Client placement per owner or consumer group (`[[model.clients]]`), first match wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientRule>,
}

/// Where shared storage's write-ahead log lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum WalKind {
    Ebs,
    RegionalDisk,
    S3,
    S3Express,
}

/// Where an owner's clients (or some consumer groups) run, and whether they fetch from followers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ClientRule {
    /// The owner of the producing topic or of the consumer group; `None` = any.
    pub owner: Option<String>,
    /// Consumer group ids this rule covers: exact, or a prefix ending in `*`; `None` = all of the owner's groups.
    pub group: Option<String>,
    /// Where the clients run; `None` = the default.
    pub zones: Option<ClientZones>,
    /// The consumers set `client.rack` and read from a replica in their zone (KIP-392).
    pub fetch_from_follower: Option<bool>,
}

/// A number of unnamed zones, or named zones with their shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ClientZones {
    Spread(u32),
    Named(Vec<ZoneShare>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ZoneShare {
    pub zone: String,
    pub share: Decimal,
}

/// A what-if scenario from the config: which topics (by owner or by name) and what changes for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WhatIf {
    pub name: String,
    /// Catalog owner ids whose topics change.
    pub owners: Vec<String>,
    /// Topic names (or prefixes ending in `*`), in any cluster, that change.
    pub topics: Vec<String>,
    pub retention_hours: Option<Decimal>,
    pub replication_factor: Option<i64>,
    pub fetch_from_follower: Option<bool>,
    pub tiered_storage: Option<bool>,
    pub local_retention_hours: Option<Decimal>,
}

/// What a source delivered this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum SourceStatus {
    Complete,
    Partial,
    Failed,
}

/// One source's completeness, as collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SourceReport {
    pub name: String,
    pub kind: String,
    pub status: SourceStatus,
    /// What went wrong, for `partial` and `failed`.
    #[serde(default)]
    pub detail: Option<String>,
    /// The normalized tables this source fills.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Requests made to the outside world (0 for recorded data).
    #[serde(default)]
    pub requests: u64,
    /// Cost sources: the days the source was asked to cover (first and last, inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<DayWindow>,
    /// Cost sources: the value this source writes in `cost_lines.source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_source: Option<String>,
    /// Object sources: the bytes fetched against the bytes of the objects read (a Parquet export is read in
    /// place: its footer and the columns the rollup reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// Query sources (Athena): each query run, the bytes it scanned and what the scan cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryRun>,
}

/// One query a source ran on a paid engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct QueryRun {
    pub id: String,
    pub bytes_scanned: u64,
    /// What the scan cost at the engine's list price; absent where that price is not known (never $0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<ServiceCost>,
}

/// A cost of running the tool itself: quantity, unit, unit price and the price's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ServiceCost {
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub price_source: String,
}

/// Bytes fetched from object storage, against the size of the objects they were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Transfer {
    pub fetched_bytes: u64,
    pub object_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct DayWindow {
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

/// A warning found in the input (docs/input-rules.md), carried into the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Finding {
    pub rule: String,
    pub table: String,
    pub line: Option<usize>,
    pub column: String,
    pub message: String,
}

/// Capacity (docs/capacity.md): each broker against its limits, and each cluster's balance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Capacity {
    /// The share of a broker's disk it should stay under (`[capacity] disk_threshold`).
    pub disk_threshold: Decimal,
    /// A broker due to cross the threshold within this many days is flagged (`[capacity] runway_watch_days`).
    pub runway_watch_days: i64,
    pub brokers: Vec<BrokerCapacity>,
    pub clusters: Vec<ClusterCapacity>,
}

/// One broker against its limits. Unknown is null, with the reason in `disk_basis`, `runway_basis` or
/// `binding_limit`'s absence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BrokerCapacity {
    pub cluster: String,
    pub broker: i64,
    pub rack: Option<String>,
    pub instance_type: String,
    /// The broker's disk: its log dirs' volumes (DescribeLogDirs), else the bill's provisioned storage ÷ brokers.
    pub disk_total_bytes: Option<i64>,
    /// Used: the log dirs' total − usable, else the replicas' bytes.
    pub disk_used_bytes: Option<i64>,
    pub disk_usable_bytes: Option<i64>,
    pub disk_used_share: Option<Decimal>,
    /// Where the disk's size came from.
    pub disk_basis: String,
    /// The replicas at the sizes their retention holds at today's write rates (plus what else the disk holds).
    pub disk_steady_state_bytes: Option<i64>,
    pub disk_steady_state_share: Option<Decimal>,
    /// Days until the disk crosses the threshold (0: over it now); null when it never does or is unknown.
    pub days_to_threshold: Option<Decimal>,
    /// How the runway was found, or why it is unknown.
    pub runway_basis: String,
    pub replicas: i64,
    pub leaders: i64,
    /// MSK's recommended partition replicas per broker for the instance size.
    pub partitions_limit: Option<i64>,
    /// Bytes written to the broker's disk per second (its replicas' partitions' writes) and sent out (its leaders'
    /// writes to followers and consumers); null without write rates.
    pub bytes_in_per_sec: Option<f64>,
    pub bytes_out_per_sec: Option<f64>,
    /// What one broker's volume sustains (`broker_write_mibps`), bytes/s.
    pub throughput_limit_bytes_per_sec: f64,
    /// Its network baseline each way, bytes/s (`broker_network_mibps`, else the instance's EC2 baseline); None when
    /// unknown. Added in version 11.
    pub network_limit_bytes_per_sec: Option<f64>,
    /// Its own CloudWatch `BytesInPerSec` and `BytesOutPerSec` (MSK, the window's mean: bytes from and to clients,
    /// replication not included), beside the inventory's; None without them (self-managed clusters have only the
    /// Kafka side). Added in version 11.
    pub metric_bytes_in_per_sec: Option<f64>,
    pub metric_bytes_out_per_sec: Option<f64>,
    /// The limit nearest (or past) its bound, and how near: load ÷ limit (the disk's steady state ÷ threshold).
    pub binding_limit: Option<CapacityLimit>,
    pub binding_share: Option<Decimal>,
    /// Who holds the broker's bytes, most first.
    pub owners: Vec<OwnerBytes>,
}

/// An owner's bytes on a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OwnerBytes {
    pub owner: String,
    pub bytes: i64,
    pub share: Decimal,
    /// Bytes its replicas on the broker add over the next 30 days, and its share of what the broker's replicas add
    /// (None when they add nothing). Added in version 11.
    pub growth_bytes: i64,
    pub growth_share: Option<Decimal>,
}

/// A cluster's balance over its brokers: max ÷ mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ClusterCapacity {
    pub cluster: String,
    pub leader_skew: Option<Decimal>,
    pub bytes_skew: Option<Decimal>,
    /// Above this max ÷ mean a cluster is out of balance: Cruise Control's default balance thresholds
    /// (`leader.replica.count.balance.threshold`, `disk.balance.threshold`: 1.10).
    pub skew_threshold: Decimal,
    /// The broker whose binding limit is nearest.
    pub tightest_broker: Option<i64>,
}

/// Whether a cluster's ACLs were visible to the collector. Even when they are, the answer may be incomplete:
/// `super.users` and `allow.everyone.if.no.acl.found` are broker settings the protocol does not show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AclCoverage {
    pub cluster: String,
    pub visible: bool,
    /// Why not, when not visible.
    pub reason: Option<String>,
}

/// Who may read and who may write one topic by its cluster's ACLs: literal, prefixed and `*` patterns, DENY beating
/// ALLOW, ALL covering READ and WRITE (Kafka's authorizer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TopicAccess {
    pub cluster: String,
    pub topic: String,
    pub owner: String,
    pub readers: Vec<Grant>,
    pub writers: Vec<Grant>,
}

/// One principal's access to a topic, and the bindings that give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Grant {
    pub principal: String,
    /// By the catalog's `principal` rules; `unowned` when none matches.
    pub principal_owner: String,
    /// Each ALLOW binding that grants it, as `TOPIC payments. PREFIXED: ALLOW WRITE`.
    pub via: Vec<String>,
    /// The client hosts it is limited to; empty for any host.
    pub hosts: Vec<String>,
}

/// Write access for a governance review: a principal of another team, a principal without an owner, or every
/// principal (`User:*`) able to write a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AccessIssue {
    pub cluster: String,
    pub topic: String,
    pub topic_owner: String,
    pub principal: String,
    pub principal_owner: String,
    pub kind: AccessIssueKind,
    pub reason: String,
}

/// The gap ledger: every gap a run found, when it was first seen, how long it has been open, when it closed
/// (docs/handoff.md, "Post-incident closure"). Carried from run to run as `gaps.json`, versioned as
/// `summary.json` is: a ledger that cannot be read is named in `note`, never silently started again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct GapLedger {
    /// The format of `gaps.json`.
    pub format: u32,
    /// This run's number in the ledger (1 for the first run of an output directory, or after a ledger that could
    /// not be read): the run new gaps are first seen in and gaps no longer found are closed in. A number, not the
    /// run directory's name, so a run's outputs stay the same for the same inputs.
    pub run: i64,
    /// When this run's data was captured.
    pub captured_at: String,
    /// Open gaps first (the oldest first), then proposed actions not yet due, then closed gaps.
    pub gaps: Vec<Gap>,
    /// Why the earlier ledger was not carried on (unreadable, another format), when it was not.
    pub note: Option<String>,
}

/// One gap: what is missing, whose it is, and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Gap {
    /// Stable across runs: the kind and what it is about (`no_owner:demo-msk/legacy-export-2023`).
    pub id: String,
    pub kind: GapKind,
    pub owner: String,
    pub cluster: Option<String>,
    pub topic: Option<String>,
    /// What this run found, in one line.
    pub detail: String,
    /// The ledger run it was first seen in, and when that run's data was captured.
    pub first_seen: i64,
    pub first_seen_at: String,
    /// The last ledger run that found it.
    pub last_seen: i64,
    /// Runs in a row that found it, this one included when it is open.
    pub runs_open: i64,
    /// The ledger run that no longer found it; None while open.
    pub closed_in: Option<i64>,
    /// Times it came back after being closed.
    pub reopened: i64,
    /// Open: `watch` while younger than `[closure] watch_runs`, then `blocked`, and `blocked` once reopened;
    /// closed: `ready`. None for a proposed action not yet due (`[closure] action_runs`).
    pub verdict: Option<Verdict>,
}
