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
    /// When a broker's disk is too full, and how soon is soon (`[capacity]`).
    pub capacity: CapacityRules,
    /// The gap ledger's thresholds (`[closure]`).
    pub closure: ClosureRules,
    /// Every catalog owner and its escalation contact.
    pub owners: Vec<OwnerContact>,
}

/// The capacity analysis' thresholds (`[capacity]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityRules {
    /// The share of a broker's disk it should stay under. Default 0.8: Amazon MSK's storage capacity alerts send an
    /// "Action required" alert when a broker has used over 80 % of its disk (MSK Developer Guide, "Use Amazon MSK
    /// storage capacity alerts"; its first alert is at 60 %).
    pub disk_threshold: Decimal,
    /// A broker due to cross the threshold within this many days is flagged. Default 30.
    pub runway_watch_days: i64,
    /// The fewest write-rate points (the window's metric points, or earlier runs' rates) a topic's trend is fitted
    /// to; a broker holding a topic with fewer has no runway ("unknown"). Default 7: a week of daily points.
    pub trend_min_points: i64,
}

impl Default for CapacityRules {
    fn default() -> Self {
        CapacityRules { disk_threshold: Decimal::new(8, 1), runway_watch_days: 30, trend_min_points: 7 }
    }
}

/// When an open gap of the ledger turns from `watch` to `blocked`, and when a proposed action not taken becomes
/// a gap (`[closure]`, docs/handoff.md "Post-incident closure").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureRules {
    /// A gap open for fewer runs than this is `watch`; this many or more (or reopened) is `blocked`. Default 3.
    pub watch_runs: i64,
    /// A proposed action still proposed after this many runs is a gap (not taken). Default 3.
    pub action_runs: i64,
}

impl Default for ClosureRules {
    fn default() -> Self {
        ClosureRules { watch_runs: 3, action_runs: 3 }
    }
}

/// A catalog owner and who to escalate to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerContact {
    pub owner: String,
    pub escalation: String,
    /// Where alerts go (`channel` in the catalog); None when the owner has none.
    pub channel: Option<String>,
}

/// How a `[model]` key's value is checked, stated with the key in [`model_keys!`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRange {
    /// Above zero, and at most the bound when there is one.
    AboveZero(Option<Decimal>),
    /// From the first to the second, both included; the text names the quantity in a message.
    Between(Decimal, Decimal, &'static str),
    /// A whole count from the first to the second, both included; the text names what is counted.
    Count(u32, u32, &'static str),
    /// An EC2 instance type (`family.size`).
    InstanceType,
    /// Any value of the key's type (a flag, or one of an enum's names).
    Any,
}

/// A type a `[model]` key can have: how the config file spells it, how it is checked against its range, and how
/// its default is shown in `docs/cost-model.md`.
pub trait ModelValue: Sized {
    /// The value as the config file spells it.
    type Raw: serde::de::DeserializeOwned + std::fmt::Debug + Clone;
    /// The value when `raw` is within `range`, else what was expected and what was found.
    fn checked(raw: &Self::Raw, range: KeyRange) -> Result<Self, KeyProblem>;
    /// The value as the docs' table shows a default.
    fn shown(&self) -> String;
}

/// A `[model]` value outside its key's range: what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyProblem(pub String);

fn in_range(x: Decimal, range: KeyRange) -> Result<Decimal, KeyProblem> {
    match range {
        KeyRange::AboveZero(max) if x <= Decimal::ZERO || max.is_some_and(|m| x > m) => Err(KeyProblem(format!(
            "expected a number above 0{}, found {x}",
            max.map(|m| format!(" and at most {m}")).unwrap_or_default()
        ))),
        KeyRange::Between(min, max, what) if x < min || x > max => {
            Err(KeyProblem(format!("expected {what}, from {min} to {max}, found {x}")))
        }
        _ => Ok(x),
    }
}

impl ModelValue for Decimal {
    type Raw = Decimal;
    fn checked(raw: &Decimal, range: KeyRange) -> Result<Decimal, KeyProblem> {
        in_range(*raw, range)
    }
    fn shown(&self) -> String {
        self.normalize().to_string()
    }
}

/// A number that may be unset (`None` is the default: no bound).
impl ModelValue for Option<Decimal> {
    type Raw = Decimal;
    fn checked(raw: &Decimal, range: KeyRange) -> Result<Self, KeyProblem> {
        in_range(*raw, range).map(Some)
    }
    fn shown(&self) -> String {
        self.map(|d| d.shown()).unwrap_or_else(|| "unset".into())
    }
}

/// A count that may be unset (`None` is the default, derived from the cluster).
impl ModelValue for Option<u32> {
    type Raw = i64;
    fn checked(raw: &i64, range: KeyRange) -> Result<Self, KeyProblem> {
        match (range, u32::try_from(*raw)) {
            (KeyRange::Count(min, max, _), Ok(n)) if (min..=max).contains(&n) => Ok(Some(n)),
            (KeyRange::Count(min, max, what), _) => {
                Err(KeyProblem(format!("expected {what} from {min} to {max}, found {raw}")))
            }
            (_, Ok(n)) => Ok(Some(n)),
            (_, Err(_)) => Err(KeyProblem(format!("expected a whole number from 0, found {raw}"))),
        }
    }
    fn shown(&self) -> String {
        self.map(|n| n.to_string()).unwrap_or_else(|| "unset".into())
    }
}

impl ModelValue for bool {
    type Raw = bool;
    fn checked(raw: &bool, _: KeyRange) -> Result<bool, KeyProblem> {
        Ok(*raw)
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl ModelValue for String {
    type Raw = String;
    fn checked(raw: &String, range: KeyRange) -> Result<String, KeyProblem> {
        let ty = raw.trim();
        if range == KeyRange::InstanceType && (ty.is_empty() || ty.contains(char::is_whitespace) || !ty.contains('.')) {
            return Err(KeyProblem(format!("expected an EC2 instance type such as `m7g.4xlarge`, found `{raw}`")));
        }
        Ok(ty.to_string())
    }
    fn shown(&self) -> String {
        format!("`{self}`")
    }
}

/// Read by its names alone (strum's, kebab-case): the one place a WAL kind is parsed.
impl ModelValue for WalKind {
    type Raw = String;
    fn checked(raw: &String, _: KeyRange) -> Result<WalKind, KeyProblem> {
        use strum::VariantNames;
        raw.parse().map_err(|_| {
            let names: Vec<String> = WalKind::VARIANTS.iter().map(|n| format!("`{n}`")).collect();
            KeyProblem(format!("expected one of {}, found `{raw}`", names.join(", ")))
        })
    }
    fn shown(&self) -> String {
        format!("`{}`", <&str>::from(self))
    }
}

/// The `[model]` keys, stated once: each key's doc, type, default and range. `$apply` is a macro taking the list:
/// here it makes [`Assumptions`] (fields, docs, `Default`) and [`ModelKey::all`]; the config makes the `[model]`
/// table's file struct and its check from the same list. A new key is one entry here, plus its copy in the
/// versioned report model, which `model/publish.rs` destructures (so the compiler asks for it).
macro_rules! model_keys {
    ($apply:ident) => {
        $apply! {
            /// Hours in a billing month (AWS's convention: 730).
            month_hours: Decimal = dec!(730), KeyRange::AboveZero(Some(dec!(744)));
            /// Share of provisioned broker disk the platform aims to use; the rest is headroom, costed as its own line.
            /// Default 0.6.
            target_disk_utilization: Decimal = dec!(0.6), KeyRange::AboveZero(Some(Decimal::ONE));
            /// Zones clients are spread over, evenly, when no rule or measurement says where they are. `None` = evenly
            /// over the zones the cluster's brokers span.
            client_zones: Option<u32> = None, KeyRange::Count(1, 6, "a zone count");
            /// Shared storage: clients produce to and consume from a broker in their own zone (AutoMQ zone routing).
            /// Default true.
            zone_aware_clients: bool = true, KeyRange::Any;
            /// Broker-local: consumers fetch from a replica in their own zone (KIP-392, `client.rack` set); a read crosses
            /// only where the partition has no replica in the consumer's zone. Default false.
            fetch_from_follower: bool = false, KeyRange::Any;
            /// Tiered storage: average size of an object uploaded to S3 (a segment's part), in MiB; PUTs = bytes in ÷
            /// this. Default 8.
            s3_upload_object_mib: Decimal = dec!(8), KeyRange::AboveZero(None);
            /// Shared storage: S3 PUTs per GiB written, compaction included. Default 301.6704: AutoMQ measured 147.3 PUT/s
            /// at 500 MiB/s written (AutoMQ/kafka-provider-comparison, `cost-explanation/automq.md`): 147.3 × 1024 ÷ 500.
            shared_s3_puts_per_gib: Decimal = dec!(301.6704), KeyRange::AboveZero(None);
            /// Shared storage: S3 GETs per GiB written, with one consumer group reading it (1:1) and compaction included.
            /// Default 130.2528: AutoMQ measured 63.6 GET/s at 500 MiB/s (as above): 63.6 × 1024 ÷ 500.
            shared_s3_gets_per_gib: Decimal = dec!(130.2528), KeyRange::AboveZero(None);
            /// Average size of one ranged GET, in MiB: tiered storage's remote reads, and shared storage's reads by each
            /// consumer group beyond the first that miss the broker cache. Default 4.
            s3_read_object_mib: Decimal = dec!(4), KeyRange::AboveZero(None);
            /// Shared storage: share of the bytes each consumer group beyond the first reads from S3 rather than from the
            /// brokers' cache. Default 0.1.
            shared_cold_read_fraction: Decimal = dec!(0.1), KeyRange::AboveZero(Some(Decimal::ONE));
            /// Shared storage: where the write-ahead log lives. Default `ebs`.
            wal: WalKind = WalKind::Ebs, KeyRange::Any;
            /// Shared storage: write-ahead-log volume per broker, GiB (`ebs`, `regional-disk`). Default 10.
            wal_gib_per_broker: Decimal = dec!(10), KeyRange::AboveZero(None);
            /// Shared storage: how often each broker uploads its WAL object (`s3`, `s3-express`), in ms. Default 250.
            wal_upload_interval_ms: Decimal = dec!(250), KeyRange::AboveZero(None);
            /// Shared storage, `wal = "s3-express"`: copies of every WAL object, one per zone, since an S3 Express One Zone
            /// bucket lives in one zone and the WAL must survive losing one. Default 3 (a 2-of-3 quorum).
            wal_zone_copies: Decimal = dec!(3), KeyRange::AboveZero(Some(dec!(6)));
            /// Shared storage: the EC2 instance type its brokers run on, priced by `ec2.instance.<type>`. Default
            /// `m7g.4xlarge`, the type of AutoMQ's published 1 GiB/s benchmark.
            shared_instance_type: String = String::from("m7g.4xlarge"), KeyRange::InstanceType;
            /// Shared storage: the network throughput one such broker sustains, MiB/s, out and in. Default 960, AutoMQ's
            /// "network baseline of 960 MiB/s" for m7g.4xlarge.
            shared_instance_network_mibps: Decimal = dec!(960), KeyRange::AboveZero(None);
            /// Shared storage: the fewest brokers, whatever the throughput. `None` = one per zone the cluster spans (zone-aware
            /// routing needs a broker in every client zone).
            shared_min_brokers: Option<u32> = None, KeyRange::Count(1, 10_000, "a broker count");
            /// Shared storage: bytes compaction reads from S3 and writes back, per byte written. Default 0.5 (AutoMQ,
            /// kafka-provider-comparison: "0.5 copy for compaction").
            shared_compaction_factor: Decimal = dec!(0.5), KeyRange::Between(Decimal::ZERO, dec!(10), "bytes compacted per byte written");
            /// Broker-local sizing: the percentile of the cluster's write-rate points sized for. Default 95.
            sizing_percentile: Decimal = dec!(95), KeyRange::AboveZero(Some(Decimal::ONE_HUNDRED));
            /// Broker-local sizing: writes one broker's volume sustains, MiB/s. Default 250: "Default GP2/GP3 volumes cap at
            /// 250 MiB/s" without provisioned throughput (AWS's MSK sizing guide, aws/agent-toolkit-for-aws).
            broker_write_mibps: Decimal = dec!(250), KeyRange::AboveZero(None);
            /// Broker-local sizing: one broker's network bandwidth, MiB/s, each direction ("Instance bandwidth
            /// specifications apply to both inbound and outbound traffic", EC2 User Guide). `None` = the instance's
            /// baseline from EC2's network specifications table (docs/capacity.md), or no bound for a type it lacks.
            broker_network_mibps: Option<Decimal> = None, KeyRange::AboveZero(None);
            /// Broker-local sizing and capacity: the share of a broker's volume throughput and network baseline planned
            /// for; the rest is headroom. Default 0.8: Cruise Control's `network.inbound.capacity.threshold` and
            /// `network.outbound.capacity.threshold` (AnalyzerConfig's defaults).
            target_throughput_utilization: Decimal = dec!(0.8), KeyRange::AboveZero(Some(Decimal::ONE));
            /// Shared storage: the share of a broker's network baseline planned for. Default 0.8, as above.
            shared_target_network_utilization: Decimal = dec!(0.8), KeyRange::AboveZero(Some(Decimal::ONE));
            /// Size an EBS SSD volume counts one I/O up to, KiB (AWS: 256). Default 256.
            ebs_io_kib: Decimal = dec!(256), KeyRange::AboveZero(None);
            /// Tiered storage: hours kept on broker disks (`local.retention.ms`) for topics not tiered today. Default 24.
            tiered_local_retention_hours: Decimal = dec!(24), KeyRange::AboveZero(None);
        }
    };
}
pub(crate) use model_keys;

/// One `[model]` key as the docs show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelKey {
    pub key: &'static str,
    pub range: KeyRange,
    /// The default as the docs' table shows it.
    pub default: String,
}

macro_rules! assumptions {
    ($($(#[doc = $doc:literal])* $key:ident: $ty:ty = $default:expr, $range:expr;)*) => {
        /// The model's assumptions: every number the cost formulas use that is not a price or a measurement. Each
        /// has a documented default and can be set in the config's `[model]` table; the report echoes them, so a
        /// reader sees exactly what a figure was computed with. Stated in [`model_keys!`].
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Assumptions {
            $($(#[doc = $doc])* pub $key: $ty,)*
            /// Client placement per owner or consumer group (`[[model.clients]]`), first match wins.
            pub clients: Vec<ClientRule>,
        }

        impl Default for Assumptions {
            fn default() -> Self {
                Assumptions { $($key: $default,)* clients: Vec::new() }
            }
        }

        impl ModelKey {
            /// Every `[model]` key with its range and default, in declaration order (`[[model.clients]]` aside).
            pub fn all() -> Vec<ModelKey> {
                let defaults = Assumptions::default();
                vec![$(ModelKey {
                    key: stringify!($key),
                    range: $range,
                    default: ModelValue::shown(&defaults.$key),
                }),*]
            }
        }
    };
}
model_keys!(assumptions);

/// Where shared storage keeps its write-ahead log. Its names (`ebs`, `regional-disk`, `s3`, `s3-express`) are
/// strum's, read in one place ([`ModelValue`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, strum::EnumString, strum::VariantNames, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
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
    /// A partition whose lag (or log-end growth between runs) is at least this many times the mean of the topic's
    /// other partitions' is skewed: a hot partition. Default 2 ("one partition's lag exceeds others by 2x or more",
    /// docs/handoff.md cites it).
    pub lag_skew_factor: Decimal,
    /// Commits advanced but the lag grew by less than this share of the messages written between the two runs:
    /// keeping pace (OK), not WARN. Burrow reads ten commits; two readings a day apart see a healthy consumer's
    /// small lag move either way. Default 0.01.
    pub lag_growth_share: Decimal,
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
            lag_skew_factor: Decimal::TWO,
            lag_growth_share: Decimal::new(1, 2),
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
    /// The brokers' EBS volume type on a self-managed cluster (`ebs_volume_type`), for when its bill does not
    /// show it; None = gp3. A billed storage line's type wins.
    pub ebs_volume_type: Option<VolumeType>,
}

/// An EBS volume type the model prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum VolumeType {
    Gp2,
    Gp3,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[model]` table of `docs/cost-model.md`: (key, default) per row.
    fn documented() -> Vec<(String, String)> {
        let text = include_str!("../docs/cost-model.md");
        text.lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let key = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let default = cells.get(2)?.to_string();
                ModelKey::all().iter().any(|k| k.key == key).then(|| (key.to_string(), default))
            })
            .collect()
    }

    #[test]
    fn every_model_key_is_documented_with_its_default() {
        let keys: Vec<(String, String)> = ModelKey::all().into_iter().map(|k| (k.key.to_string(), k.default)).collect();
        assert_eq!(documented(), keys, "docs/cost-model.md's [model] table and settings::model_keys! differ");
        // The defaults as the docs show them, written out by hand (a change of a default is a change of the docs).
        let shown = |key: &str| keys.iter().find(|(k, _)| k == key).unwrap().1.clone();
        assert_eq!(shown("month_hours"), "730");
        assert_eq!(shown("wal"), "`ebs`");
        assert_eq!(shown("shared_instance_type"), "`m7g.4xlarge`");
        assert_eq!(shown("shared_min_brokers"), "unset");
        assert_eq!(shown("zone_aware_clients"), "true");
    }

    #[test]
    fn a_value_outside_its_range_says_what_was_expected() {
        let check = |raw: Decimal, range| <Decimal as ModelValue>::checked(&raw, range).map_err(|e| e.0);
        assert_eq!(check(dec!(0.6), KeyRange::AboveZero(Some(Decimal::ONE))), Ok(dec!(0.6)));
        assert_eq!(
            check(dec!(1.5), KeyRange::AboveZero(Some(Decimal::ONE))),
            Err("expected a number above 0 and at most 1, found 1.5".into())
        );
        assert_eq!(check(dec!(0), KeyRange::AboveZero(None)), Err("expected a number above 0, found 0".into()));
        let count = |raw: i64| <Option<u32> as ModelValue>::checked(&raw, KeyRange::Count(1, 6, "a zone count"));
        assert_eq!(count(3), Ok(Some(3)));
        assert_eq!(count(-1).unwrap_err().0, "expected a zone count from 1 to 6, found -1");
        let wal = |raw: &str| WalKind::checked(&raw.to_string(), KeyRange::Any);
        assert_eq!(wal("s3-express"), Ok(WalKind::S3Express));
        assert_eq!(
            wal("gp3").unwrap_err().0,
            "expected one of `ebs`, `regional-disk`, `s3`, `s3-express`, found `gp3`"
        );
    }
}
