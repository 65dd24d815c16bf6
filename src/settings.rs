//! Plain settings: what the config says each later stage should do, parsed and checked by `config`, taken by the
//! stage as its own input (the join takes the clusters; the model takes [`ModelSettings`]). Data, defaults and
//! serde only: what a stage computes from its settings lives in the stage (`model::assumptions`); the price book
//! with its checks is `crate::prices`.
//! The collectors' settings live beside each collector (`collect::kafka::settings`, `collect::aws::*Settings`).

use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::{Deserialize, Serialize};

pub use crate::prices::{PriceBook, PriceOverride};

/// What the model is given besides the joined tables: the clusters, prices, assumptions, what-ifs and readiness
/// rules of the config, and the catalog's owners with their escalation contacts.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// How the config file is named in messages.
    pub config_path: String,
    pub clusters: Vec<ClusterConfig>,
    /// The default price book (every region); each cluster settles its own from it (see `PriceBook::settle`).
    pub prices: PriceBook,
    pub price_overrides: Vec<PriceOverride>,
    pub assumptions: Assumptions,
    pub what_ifs: Vec<WhatIf>,
    pub readiness: Rules,
    /// Every catalog owner and its escalation contact.
    pub owners: Vec<OwnerContact>,
}

/// A catalog owner and who to escalate to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerContact {
    pub owner: String,
    pub escalation: String,
}

/// The model's assumptions: every number the cost formulas use that is not a price or a measurement. Each has a
/// documented default and can be set in the config's `[model]` table; the report echoes them, so a reader sees
/// exactly what a figure was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assumptions {
    /// Hours in a billing month (AWS's convention: 730).
    pub month_hours: Decimal,
    /// Share of provisioned broker disk the platform aims to use; the rest is headroom, costed as its own line.
    /// Default 0.6.
    pub target_disk_utilization: Decimal,
    /// Zones clients are spread over, evenly, when no rule or measurement says where they are. `None` = evenly
    /// over the zones the cluster's brokers span.
    pub client_zones: Option<u32>,
    /// Shared storage: clients produce to and consume from a broker in their own zone (AutoMQ zone routing).
    /// Default true.
    pub zone_aware_clients: bool,
    /// Broker-local: consumers fetch from a replica in their own zone (KIP-392, `client.rack` set); a read crosses
    /// only where the partition has no replica in the consumer's zone. Default false.
    pub fetch_from_follower: bool,
    /// Tiered storage: average size of an object uploaded to S3 (a segment's part), in MiB; PUTs = bytes in ÷
    /// this. Default 8.
    pub s3_upload_object_mib: Decimal,
    /// Shared storage: S3 PUTs per GiB written, compaction included. Default 301.6704: AutoMQ measured 147.3 PUT/s
    /// at 500 MiB/s written (AutoMQ/kafka-provider-comparison, `cost-explanation/automq.md`): 147.3 × 1024 ÷ 500.
    #[serde(default = "default_shared_s3_puts_per_gib")]
    pub shared_s3_puts_per_gib: Decimal,
    /// Shared storage: S3 GETs per GiB written, with one consumer group reading it (1:1) and compaction included.
    /// Default 130.2528: AutoMQ measured 63.6 GET/s at 500 MiB/s (as above): 63.6 × 1024 ÷ 500.
    #[serde(default = "default_shared_s3_gets_per_gib")]
    pub shared_s3_gets_per_gib: Decimal,
    /// Average size of one ranged GET, in MiB: tiered storage's remote reads, and shared storage's reads by each
    /// consumer group beyond the first that miss the broker cache. Default 4.
    pub s3_read_object_mib: Decimal,
    /// Shared storage: share of the bytes each consumer group beyond the first reads from S3 rather than from the
    /// brokers' cache. Default 0.1.
    pub shared_cold_read_fraction: Decimal,
    /// Shared storage: where the write-ahead log lives. Default `ebs`.
    #[serde(default)]
    pub wal: WalKind,
    /// Shared storage: write-ahead-log volume per broker, GiB (`ebs`, `regional-disk`). Default 10.
    pub wal_gib_per_broker: Decimal,
    /// Shared storage: how often each broker uploads its WAL object (`s3`, `s3-express`), in ms. Default 250.
    #[serde(default = "default_wal_upload_interval_ms")]
    pub wal_upload_interval_ms: Decimal,
    /// Shared storage, `wal = "s3-express"`: copies of every WAL object, one per zone, since an S3 Express One Zone
    /// bucket lives in one zone and the WAL must survive losing one. Default 3 (a 2-of-3 quorum).
    #[serde(default = "default_wal_zone_copies")]
    pub wal_zone_copies: Decimal,
    /// Shared storage: the EC2 instance type its brokers run on, priced by `ec2.instance.<type>`. Default
    /// `m7g.4xlarge`, the type of AutoMQ's published 1 GiB/s benchmark.
    #[serde(default = "default_shared_instance_type")]
    pub shared_instance_type: String,
    /// Shared storage: the network throughput one such broker sustains, MiB/s, out and in. Default 960, AutoMQ's
    /// "network baseline of 960 MiB/s" for m7g.4xlarge.
    #[serde(default = "default_shared_instance_network_mibps")]
    pub shared_instance_network_mibps: Decimal,
    /// Shared storage: the fewest brokers, whatever the throughput. `None` = one per zone the cluster spans (zone-aware
    /// routing needs a broker in every client zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_min_brokers: Option<u32>,
    /// Shared storage: bytes compaction reads from S3 and writes back, per byte written. Default 0.5 (AutoMQ,
    /// kafka-provider-comparison: "0.5 copy for compaction").
    #[serde(default = "default_shared_compaction_factor")]
    pub shared_compaction_factor: Decimal,
    /// Broker-local sizing: the percentile of the cluster's write-rate points sized for. Default 95.
    #[serde(default = "default_sizing_percentile")]
    pub sizing_percentile: Decimal,
    /// Broker-local sizing: writes one broker's volume sustains, MiB/s. Default 250: "Default GP2/GP3 volumes cap at
    /// 250 MiB/s" without provisioned throughput (AWS's MSK sizing guide, aws/agent-toolkit-for-aws).
    #[serde(default = "default_broker_write_mibps")]
    pub broker_write_mibps: Decimal,
    /// Broker-local sizing: one broker's network bandwidth, MiB/s, each direction ("Instance bandwidth
    /// specifications apply to both inbound and outbound traffic", EC2 User Guide). `None` = not a bound: set it
    /// from your instance type's baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_network_mibps: Option<Decimal>,
    /// Size an EBS SSD volume counts one I/O up to, KiB (AWS: 256). Default 256.
    #[serde(default = "default_ebs_io_kib")]
    pub ebs_io_kib: Decimal,
    /// Tiered storage: hours kept on broker disks (`local.retention.ms`) for topics not tiered today. Default 24.
    pub tiered_local_retention_hours: Decimal,
    /// Client placement per owner or consumer group (`[[model.clients]]`), first match wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientRule>,
}

/// Where shared storage keeps its write-ahead log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WalKind {
    /// A gp3 volume per broker.
    #[default]
    Ebs,
    /// A volume per broker on a disk replicated across zones (priced by `wal.regional_disk.storage`).
    RegionalDisk,
    /// Objects in S3 Standard.
    S3,
    /// Objects in S3 Express One Zone.
    S3Express,
}

fn default_wal_upload_interval_ms() -> Decimal {
    dec!(250)
}

fn default_shared_s3_puts_per_gib() -> Decimal {
    dec!(301.6704)
}

fn default_shared_s3_gets_per_gib() -> Decimal {
    dec!(130.2528)
}

fn default_sizing_percentile() -> Decimal {
    dec!(95)
}

fn default_broker_write_mibps() -> Decimal {
    dec!(250)
}

fn default_shared_instance_type() -> String {
    "m7g.4xlarge".into()
}

fn default_shared_instance_network_mibps() -> Decimal {
    dec!(960)
}

fn default_shared_compaction_factor() -> Decimal {
    dec!(0.5)
}

fn default_wal_zone_copies() -> Decimal {
    dec!(3)
}

fn default_ebs_io_kib() -> Decimal {
    dec!(256)
}

/// Where an owner's clients (or some consumer groups) run, and whether they fetch from followers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRule {
    /// The owner of the producing topic or of the consumer group (catalog owner id); `None` = any.
    pub owner: Option<String>,
    /// Consumer group ids this rule covers: exact, or a prefix ending in `*`; `None` = all of the owner's groups
    /// (and the owner's producers).
    pub group: Option<String>,
    /// Where the clients run: a number of unnamed zones, or named zones with their shares; `None` = the default.
    pub zones: Option<ClientZones>,
    /// The consumers set `client.rack` and read from a replica in their zone (KIP-392).
    pub fetch_from_follower: Option<bool>,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            month_hours: dec!(730),
            target_disk_utilization: dec!(0.6),
            client_zones: None,
            zone_aware_clients: true,
            fetch_from_follower: false,
            s3_upload_object_mib: dec!(8),
            shared_s3_puts_per_gib: default_shared_s3_puts_per_gib(),
            shared_s3_gets_per_gib: default_shared_s3_gets_per_gib(),
            s3_read_object_mib: dec!(4),
            shared_cold_read_fraction: dec!(0.1),
            wal: WalKind::Ebs,
            wal_gib_per_broker: dec!(10),
            wal_upload_interval_ms: default_wal_upload_interval_ms(),
            wal_zone_copies: default_wal_zone_copies(),
            shared_instance_type: default_shared_instance_type(),
            shared_instance_network_mibps: default_shared_instance_network_mibps(),
            shared_min_brokers: None,
            shared_compaction_factor: default_shared_compaction_factor(),
            sizing_percentile: default_sizing_percentile(),
            broker_write_mibps: default_broker_write_mibps(),
            broker_network_mibps: None,
            ebs_io_kib: default_ebs_io_kib(),
            tiered_local_retention_hours: dec!(24),
            clients: Vec::new(),
        }
    }
}

/// Where a set of clients runs, as configured or measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClientZones {
    /// Spread evenly over this many zones, which are not named: each broker zone is taken as equally likely, and
    /// zones beyond the brokers' have no broker.
    Spread(u32),
    /// Named zones (`broker.rack` values: AZ ids on MSK) with their shares of the traffic, summing to 1.
    Named(Vec<ZoneShare>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneShare {
    pub zone: String,
    pub share: Decimal,
}

/// The thresholds of the scorecard and the next-action rules (`[readiness]` in the config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Cross-AZ transfer above this share of a topic's cost today: placement is `watch`. Default 0.25.
    pub cross_az_share_watch: Decimal,
    /// Savings below this (USD per month) are not worth an action or a `watch`. Default 10.
    pub min_saving_usd: Decimal,
    /// Shared storage must save at least this share of today's cost to propose a migration. Default 0.2.
    pub migration_saving_share: Decimal,
    /// Retention must cover the slowest group's lag this many times over; less is `watch`, lag beyond retention
    /// is `blocked`. Default 2.
    pub replay_margin: Decimal,
    /// Retention this many times above what replay needs (the slowest lag × margin, at least
    /// `min_retention_hours`) is proposed shorter. Default 4.
    pub retention_excess_factor: Decimal,
    /// Never propose a retention shorter than this. Default 24.
    pub min_retention_hours: Decimal,
    /// Billed broker storage above the modelled need (retained bytes at the target utilisation) by more than this
    /// share: propose smaller volumes. Default 0.1.
    pub headroom_excess_share: Decimal,
    /// The catalog owner that approves cluster-level changes (broker settings, volumes, owners). Default
    /// `platform`; when the catalog has no such owner, actions name "the platform team".
    pub platform_owner: String,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            cross_az_share_watch: Decimal::new(25, 2),
            min_saving_usd: Decimal::from(10),
            migration_saving_share: Decimal::new(2, 1),
            replay_margin: Decimal::TWO,
            retention_excess_factor: Decimal::from(4),
            min_retention_hours: Decimal::from(24),
            headroom_excess_share: Decimal::new(1, 1),
            platform_owner: "platform".into(),
        }
    }
}

/// How many earlier runs to compare with, and when an owner's change is an anomaly (`[history]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRules {
    /// Earlier runs kept in the trend. Default 10.
    pub runs: usize,
    /// An owner's cost moving by more than this share of the previous run's is an anomaly. Default 0.25.
    pub anomaly_share: Decimal,
    /// ...and by at least this many USD per month. Default 50.
    pub anomaly_min_usd: Decimal,
}

impl Default for HistoryRules {
    fn default() -> Self {
        HistoryRules { runs: 10, anomaly_share: Decimal::new(25, 2), anomaly_min_usd: Decimal::from(50) }
    }
}

/// Where the Kafka cluster runs, which decides what inter-AZ traffic is billed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Platform {
    /// Amazon MSK: replication between brokers is not billed, client traffic across AZs is.
    Msk,
    /// Kafka on EC2: every byte crossing an AZ is billed on both sides.
    SelfManaged,
}

impl Platform {
    /// The name in config files, model.json and the report (serde's name for it; a test holds the two together).
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// The platform a config names, by its key.
    pub fn from_key(key: &str) -> Option<Platform> {
        key.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    pub name: String,
    pub platform: Platform,
    pub region: String,
    pub broker_instance_type: String,
    /// Bill lines whose resource id is one of these belong to this cluster.
    pub billing_resource_ids: Vec<String>,
}

/// A what-if scenario: which topics (by owner or by name) and what changes for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl WhatIf {
    /// Whether the scenario changes this topic.
    pub fn selects(&self, topic: &str, owner: &str) -> bool {
        self.owners.iter().any(|o| o == owner)
            || self.topics.iter().any(|t| match t.strip_suffix('*') {
                Some(prefix) => topic.starts_with(prefix),
                None => t == topic,
            })
    }
}
