//! The model's working view of one topic, and what it hands the report of it.

use rust_decimal::Decimal;

use super::choice::{Choice, Scenario};
use super::cost::CostBreakdown;
use super::readiness::Scorecard;
use super::zones::{WeightBasis, ZoneSource};
use crate::report_model as out;

/// One topic as the model works with it: the report's `TopicReport` with the model's own cost, choice and
/// scorecard types.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub cluster: String,
    pub topic: String,
    pub owner: String,
    /// Which catalog rule decided the owner.
    pub owner_rule: String,
    pub is_internal: bool,
    pub partitions: i64,
    pub replication_factor: i64,
    /// Topic configs; None when they could not be read (the source says why).
    pub retention_ms: Option<i64>,
    pub retention_bytes: Option<i64>,
    pub cleanup_policy: Option<String>,
    pub remote_storage_enable: Option<bool>,
    pub local_retention_ms: Option<i64>,
    /// One copy's bytes on the brokers' disks; None when a partition's size was not collected.
    pub retained_bytes: Option<i64>,
    pub partitions_size_unknown: i64,
    pub bytes_in_per_sec: Option<f64>,
    /// Where the write rate comes from: `metric`, `offsets between runs`, `offsets within the run`, or why there is
    /// none.
    pub write_rate_basis: String,
    /// The write rate the offsets give, shown beside the metric's where both exist.
    pub offset_bytes_in_per_sec: Option<f64>,
    pub consumer_groups: i64,
    pub max_group_lag: i64,
    /// Groups further behind than the tiered scenario's local window: they would read from remote storage.
    pub groups_reading_remote: i64,
    /// Share of follower replicas in another zone than their leader, by count.
    pub cross_zone_follower_share: Decimal,
    /// What weighed each partition's share of the traffic in the crossing shares: bytes, messages or even.
    pub placement_basis: WeightBasis,
    /// Where the producers' zones came from, and the share of produced bytes that crosses a zone to the leader
    /// (None when a leader's zone is unknown).
    pub producer_zones_source: ZoneSource,
    pub produce_crossing_share: Option<Decimal>,
    /// Today's placement: tiered storage where `remote.storage.enable` is on, else broker-local.
    pub current: Scenario,
    pub broker_local: CostBreakdown,
    /// None when the topic cannot be tiered (`tiered_not_applicable` says why).
    pub tiered_storage: Option<CostBreakdown>,
    pub tiered_not_applicable: Option<String>,
    pub shared_storage: CostBreakdown,
    /// On MSK Express brokers (`cost::express`).
    pub express: CostBreakdown,
    /// Cheapest placement, saving and flip point; None when today's cost is incomplete.
    pub choice: Option<Choice>,
    /// Broker-local on the cluster sized for its own load: today's broker-local cost with the broker hours ×
    /// brokers needed ÷ brokers today (`clusters[].sizing`). None when unknown.
    pub right_sized_monthly_usd: Option<Decimal>,
    pub readiness: Option<Scorecard>,
}

impl Topic {
    /// Today's placement's cost.
    pub fn current_cost(&self) -> &CostBreakdown {
        match (self.current, &self.tiered_storage) {
            (Scenario::TieredStorage, Some(t)) => t,
            _ => &self.broker_local,
        }
    }

    /// Tiered storage where it applies, else broker-local (a cluster's or owner's "tier what can be tiered").
    pub fn tiered_or_local(&self) -> &CostBreakdown {
        self.tiered_storage.as_ref().unwrap_or(&self.broker_local)
    }
}

impl From<Topic> for out::TopicReport {
    fn from(t: Topic) -> Self {
        let Topic {
            cluster,
            topic,
            owner,
            owner_rule,
            is_internal,
            partitions,
            replication_factor,
            retention_ms,
            retention_bytes,
            cleanup_policy,
            remote_storage_enable,
            local_retention_ms,
            retained_bytes,
            partitions_size_unknown,
            bytes_in_per_sec,
            write_rate_basis,
            offset_bytes_in_per_sec,
            consumer_groups,
            max_group_lag,
            groups_reading_remote,
            cross_zone_follower_share,
            placement_basis,
            producer_zones_source,
            produce_crossing_share,
            current,
            broker_local,
            tiered_storage,
            tiered_not_applicable,
            shared_storage,
            express,
            choice,
            right_sized_monthly_usd,
            readiness,
        } = t;
        out::TopicReport {
            cluster,
            topic,
            owner,
            owner_rule,
            is_internal,
            partitions,
            replication_factor,
            retention_ms,
            retention_bytes,
            cleanup_policy,
            remote_storage_enable,
            local_retention_ms,
            retained_bytes,
            partitions_size_unknown,
            bytes_in_per_sec,
            write_rate_basis,
            offset_bytes_in_per_sec,
            consumer_groups,
            max_group_lag,
            groups_reading_remote,
            cross_zone_follower_share,
            placement_basis,
            producer_zones_source,
            produce_crossing_share,
            current,
            broker_local: broker_local.into(),
            tiered_storage: tiered_storage.map(Into::into),
            tiered_not_applicable,
            shared_storage: shared_storage.into(),
            express: express.into(),
            choice: choice.map(Into::into),
            right_sized_monthly_usd,
            readiness: readiness.map(Into::into),
        }
    }
}
