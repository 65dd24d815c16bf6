//! The report's words: the enums `model.json` spells as strings. They are defined here, once, and the model speaks
//! them (`model::choice::Scenario` is this `Scenario`): a variant renamed here is a `model.json` change, which the
//! schema pin (`schema_pin.rs`) turns into a version decision. Each name in the JSON, the CSVs and the report comes
//! from serde's rename through strum, so no string is spelled twice.

use serde::{Deserialize, Serialize};

/// A placement of a topic's data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Scenario {
    BrokerLocal,
    TieredStorage,
    SharedStorage,
    /// Amazon MSK Express brokers. Added in version 12.
    Express,
}

impl Scenario {
    /// The name in model.json and the CSV tables.
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            Scenario::BrokerLocal => "broker-local",
            Scenario::TieredStorage => "tiered storage",
            Scenario::SharedStorage => "shared storage",
            Scenario::Express => "MSK Express",
        }
    }
}

/// One line of a placement's cost (docs/cost-model.md derives each).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Component {
    RetainedStorage,
    DiskHeadroom,
    EbsThroughput,
    EbsIops,
    InterAzReplication,
    InterAzProduce,
    InterAzConsume,
    BrokerCompute,
    RemoteStorage,
    RemotePut,
    RemoteReads,
    S3Storage,
    S3Put,
    S3Get,
    WalVolume,
    WalPut,
    WalUpload,
    VendorSubscription,
    /// MSK Express: one copy of the retained bytes in Express storage. Added in version 12.
    ExpressStorage,
    /// MSK Express: every byte written, priced once. Added in version 12.
    ExpressDataWritten,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Traffic between zones (`inter_az_*`).
    pub fn is_inter_az(self) -> bool {
        matches!(self, Component::InterAzReplication | Component::InterAzProduce | Component::InterAzConsume)
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Component {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Component {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// A scorecard's verdict, worst last.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Verdict {
    Ready,
    Watch,
    Blocked,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        self.into()
    }
}

/// What a scorecard checks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Dimension {
    /// A declared owner with an escalation contact.
    Ownership,
    /// Sizes, configs, lag and costs collected this run.
    Evidence,
    /// Every action on it carries its boundary, a named approver and a rollback (docs/handoff.md, "Safe action
    /// boundary"). Added in version 15.
    SafeActionBoundary,
    /// Cross-AZ share of the cost, and whether another placement is cheaper.
    CostPlacement,
    /// Retention covers the slowest consumer group's lag with margin.
    RollbackReplay,
    /// No gap of the ledger left open: found gaps are closed before they age (docs/handoff.md, "Post-incident
    /// closure"). Added in version 15.
    Closure,
    /// A summary of the above and of the shared-storage saving.
    Migration,
    /// An owner's: the brokers holding its bytes against the disk threshold and their runway (owners only). Added in
    /// version 11.
    Capacity,
}

impl Dimension {
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Ownership => "ownership & routing",
            Dimension::Evidence => "evidence",
            Dimension::SafeActionBoundary => "safe action boundary",
            Dimension::CostPlacement => "cost & cloud placement",
            Dimension::RollbackReplay => "rollback & replay",
            Dimension::Closure => "post-incident closure",
            Dimension::Migration => "migration to shared storage",
            Dimension::Capacity => "capacity",
        }
    }
}

/// What a consumer group's reads are taken from (docs/cost-model.md, "Readers that read").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadBasis {
    /// The group has members, and no metric says how much is read: a full read of what is written.
    Members,
    /// The topic's measured `BytesOutPerSec`, shared evenly among its groups with members.
    BytesOut,
    /// No group has members, yet the topic's `BytesOutPerSec` shows reads: its groups without members are taken to
    /// be the readers (a consumer with manual assignment shows as `Empty` and commits offsets).
    BytesOutWithoutMembers,
    /// No consumer group at all, yet the topic's `BytesOutPerSec` shows reads: readers outside any group.
    BytesOutWithoutGroup,
    /// No `BytesOutPerSec`, but the group's committed offsets were read twice: it reads their rate over the log
    /// end's (an `Empty` group whose offsets move is reading). Added in version 11.
    CommittedOffsets,
    /// No members, and nothing shows it reading (no reads measured, or no second offset sample): not a reader.
    NotReading,
}

impl ReadBasis {
    /// How the report says it.
    pub fn label(self) -> &'static str {
        match self {
            ReadBasis::Members => "has members: a full read (no BytesOutPerSec)",
            ReadBasis::BytesOut => "measured BytesOutPerSec, shared among the groups with members",
            ReadBasis::BytesOutWithoutMembers => "no members, but BytesOutPerSec shows reads",
            ReadBasis::BytesOutWithoutGroup => "no group, but BytesOutPerSec shows reads",
            ReadBasis::CommittedOffsets => "its committed offsets' rate over the log end's (no BytesOutPerSec)",
            ReadBasis::NotReading => "no members and no reads seen: not a reader",
        }
    }
}

/// What a proposed next action does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ActionKind {
    AssignOwner,
    ShortenRetention,
    EnableFetchFromFollower,
    ShrinkVolumes,
    MoveToTieredStorage,
    MoveToBrokerLocal,
    MigrateToSharedStorage,
    /// Move the topic's cluster to MSK Express brokers. Added in version 12.
    MigrateToExpress,
    RetireUnusedTopic,
    ChangeVolumesToGp3,
    ExpandStorage,
    /// Move a topic's partitions off a broker due to fill to brokers with room. Added in version 11.
    MovePartitions,
}

impl ActionKind {
    /// How the report names the kind to a reader.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::AssignOwner => "assign an owner",
            ActionKind::ShortenRetention => "shorten retention",
            ActionKind::EnableFetchFromFollower => "enable fetch-from-follower",
            ActionKind::ShrinkVolumes => "shrink volumes",
            ActionKind::MoveToTieredStorage => "move to tiered storage",
            ActionKind::MoveToBrokerLocal => "move to broker-local disk",
            ActionKind::MigrateToSharedStorage => "migrate to shared storage",
            ActionKind::MigrateToExpress => "migrate to MSK Express",
            ActionKind::RetireUnusedTopic => "delete or archive an unused topic",
            ActionKind::ChangeVolumesToGp3 => "change gp2 volumes to gp3",
            ActionKind::ExpandStorage => "expand broker storage",
            ActionKind::MovePartitions => "move partitions off a broker",
        }
    }
}

/// Where a set of clients' zones came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ZoneSource {
    /// The members' `client.rack`, reported by the cluster.
    Measured,
    /// A `[[model.clients]]` rule or `[model] client_zones`.
    Configured,
    /// Nothing said: evenly over the zones the brokers span.
    #[default]
    Assumed,
}

impl ZoneSource {
    pub fn label(self) -> &'static str {
        self.into()
    }
}

/// What weighed each partition's share of a topic's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum WeightBasis {
    /// Each partition's bytes on disk (retention keeps about the same time of every partition).
    Bytes,
    /// Each partition's retained offsets, when a size is missing or every size is zero.
    Messages,
    /// Equal shares, when neither is known.
    Even,
}

/// What bounds a sized cluster's broker count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Bottleneck {
    /// Writes (ingress × RF) against one broker's volume throughput.
    WriteThroughput,
    /// Replicas against the recommended partitions per broker.
    Partitions,
    /// Network (replication and consumer reads out, produce and replication in) against one broker's bandwidth.
    Network,
    /// One broker per zone at least.
    Zones,
}

/// A broker's limit in the capacity analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CapacityLimit {
    /// Its disk at steady state against the threshold.
    Disk,
    /// Its replicas against MSK's recommended partitions per broker.
    Partitions,
    /// Bytes written to its disk against what its volume sustains.
    WriteThroughput,
    /// The busier direction of its network against its instance's baseline. Added in version 11.
    Network,
}

impl CapacityLimit {
    pub fn label(self) -> &'static str {
        match self {
            CapacityLimit::Disk => "disk",
            CapacityLimit::Partitions => "partitions",
            CapacityLimit::WriteThroughput => "write throughput",
            CapacityLimit::Network => "network",
        }
    }
}

impl Bottleneck {
    pub fn label(self) -> &'static str {
        match self {
            Bottleneck::WriteThroughput => "bound by writes",
            Bottleneck::Partitions => "bound by partitions",
            Bottleneck::Network => "bound by network",
            Bottleneck::Zones => "one per zone",
        }
    }
}

/// Where a price came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum PriceBasis {
    /// The public list price in the price book compiled into the tool (the report calls it "bundled list").
    #[default]
    List,
    /// A public list price fetched from the AWS Price List Query API by `kafka-finops prices refresh` (or a run with
    /// `[prices] refresh = true`), cached with its SKU and the offer's publication date. Added in version 12.
    Refreshed,
    /// Cost ÷ usage quantity of the cluster's own bill lines.
    Bill,
    /// Set in the config file.
    Override,
    /// Not priced by anyone: the vendor line's $0 until the config sets it.
    Unset,
}

impl PriceBasis {
    /// The name in model.json, the CSV tables and the report.
    pub fn key(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// strum's names and serde's are both derived from the variant; this proves the two rename rules agree.
    fn same<T: Serialize + IntoEnumIterator + Into<&'static str>>() {
        for v in T::iter() {
            let json = serde_json::to_string(&v).unwrap();
            let name: &'static str = v.into();
            assert_eq!(json, format!("\"{name}\""));
        }
    }

    #[test]
    fn every_name_is_serdes_name() {
        same::<Scenario>();
        same::<Component>();
        same::<Verdict>();
        same::<Dimension>();
        same::<ActionKind>();
        same::<ZoneSource>();
        same::<WeightBasis>();
        same::<Bottleneck>();
        same::<PriceBasis>();
    }

    #[test]
    fn a_digit_inside_a_name_keeps_serdes_spelling() {
        // `S3Put` is where two case converters could disagree (`s3_put` vs `s_3_put`).
        assert_eq!(Component::S3Put.as_str(), "s3_put");
        assert_eq!(serde_json::to_string(&Component::S3Put).unwrap(), "\"s3_put\"");
    }
}

/// A consumer group's status on a topic between the newest earlier run and this one, by Burrow's evaluation rules
/// (docs/handoff.md, "Lag classes"). Ordered as Burrow orders its statuses, best to worst, so the group's status is
/// its partitions' maximum; the two without a verdict come first. Added in version 15.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum LagStatus {
    /// No earlier run read these partitions: a change needs two readings.
    NeedsSecondRun,
    /// This run's committed offset or log end was not collected.
    Unknown,
    Ok,
    Warn,
    Stop,
    Stall,
    Rewind,
}

impl LagStatus {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// As Burrow and the on-call page spell it.
    pub fn label(self) -> &'static str {
        match self {
            LagStatus::NeedsSecondRun => "needs a second run",
            LagStatus::Unknown => "unknown",
            LagStatus::Ok => "OK",
            LagStatus::Warn => "WARN",
            LagStatus::Stop => "STOP",
            LagStatus::Stall => "STALL",
            LagStatus::Rewind => "REWIND",
        }
    }
}

/// What a group's lag on a topic is classified as before anyone is paged; it picks the first responder. Added in
/// version 15.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum LagSymptom {
    /// Not behind, or behind and catching up: nothing to route.
    None,
    /// Not classified: no earlier run, or offsets not collected.
    Unclassified,
    /// The consumer: stopped, stalled, rewound, or committing but falling behind.
    ClientProcessing,
    /// Lag concentrated in a few partitions, or the log end growing unevenly (hot keys).
    PartitionSkew,
    /// Lagging partitions led by a broker the capacity analysis flags.
    BrokerDiskPressure,
}

impl LagSymptom {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            LagSymptom::None => "none",
            LagSymptom::Unclassified => "unclassified",
            LagSymptom::ClientProcessing => "client processing",
            LagSymptom::PartitionSkew => "partition skew",
            LagSymptom::BrokerDiskPressure => "broker disk pressure",
        }
    }
}

/// Why a principal's write access is up for review. Added in version 15.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum AccessIssueKind {
    /// A principal owned by another team can write the topic.
    ForeignWriter,
    /// A principal no catalog rule owns can write the topic.
    UnownedWriter,
    /// `User:*`: every principal can write the topic.
    EveryoneWrites,
}

impl AccessIssueKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            AccessIssueKind::ForeignWriter => "another team's principal writes",
            AccessIssueKind::UnownedWriter => "a principal without an owner writes",
            AccessIssueKind::EveryoneWrites => "every principal may write",
        }
    }
}

/// What kind of gap the ledger holds. Added in version 15.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum GapKind {
    /// A topic no catalog rule owns.
    NoOwner,
    /// An owner with no alert route (no `channel`).
    NoRoute,
    /// A topic whose size, configs or write rate were not collected.
    EvidenceMissing,
    /// A catalog rule that matches nothing collected.
    RuleMatchesNothing,
    /// A proposed action still proposed after `[closure] action_runs` runs.
    ActionNotTaken,
    /// A principal no catalog rule owns that may write a topic.
    UnownedWriter,
}

impl GapKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            GapKind::NoOwner => "no owner",
            GapKind::NoRoute => "no alert route",
            GapKind::EvidenceMissing => "evidence missing",
            GapKind::RuleMatchesNothing => "catalog rule matches nothing",
            GapKind::ActionNotTaken => "proposed action not taken",
            GapKind::UnownedWriter => "writer without an owner",
        }
    }
}

/// Who may take an action, by what it touches (docs/handoff.md, "Safe action boundary"). Added in version 15.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ActionBoundary {
    /// The owner alone: restart a consumer, reset an offset the owner holds.
    OwnerLocal,
    /// The platform team approves: retention, partitions, quotas, storage, broker settings.
    PlatformApproval,
    /// A security review: ACL changes.
    SecurityReview,
    /// Only in a migration window: moving a topic or a cluster to another placement or brokers.
    MigrationWindow,
}

impl ActionBoundary {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionBoundary::OwnerLocal => "owner-local",
            ActionBoundary::PlatformApproval => "platform approval",
            ActionBoundary::SecurityReview => "security review",
            ActionBoundary::MigrationWindow => "migration window",
        }
    }
}
