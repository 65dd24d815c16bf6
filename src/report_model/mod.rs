//! The versioned report model: plain serde data that `model` produces and every renderer reads.
//!
//! `model.json` is this struct. Renderers are functions of it alone, so `render --from model.json` redraws a past
//! run without Kafka, AWS or polars.
//!
//! The report model owns every type `model.json` carries: the top-level rows here, copies of what the model computes
//! and of the settings it echoes (`parts.rs`, each built by a `From` conversion in `model/publish.rs`), and the
//! enums whose words the JSON spells (`vocabulary.rs`, which the model speaks too). It names nothing of the stages
//! above it. Its JSON schema is pinned per [`MODEL_VERSION`] in `docs/model-schema/` (`schema_pin.rs`): a change a
//! reader of the JSON would notice fails until the version is bumped.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod parts;
#[cfg(test)]
mod schema_pin;
mod vocabulary;

pub use parts::*;
pub use vocabulary::*;

/// The owner of topics no catalog rule matches. The catalog defines the word; the report model carries it so
/// renderers need not reach into the config stage.
pub use crate::catalog::UNOWNED;

pub const MODEL_VERSION: u32 = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ReportModel {
    pub version: u32,
    pub scenario: ScenarioInfo,
    pub totals: Totals,
    pub clusters: Vec<ClusterSummary>,
    pub owners: Vec<OwnerSummary>,
    pub topics: Vec<TopicReport>,
    pub consumer_groups: Vec<GroupLag>,
    pub daily_costs: Vec<DailyCost>,
    /// Data completeness per cost source and day: every day of each cost source's window, with what it delivered;
    /// a day it delivered nothing for has `amount_usd: null` (missing), never 0.
    pub cost_days: Vec<CostDay>,
    /// The bill allocated to owners by the model's usage shares: per (cluster, cost class) the rows sum to the billed
    /// amount to the cent. Rows `(idle headroom)` and `(unallocated)` hold what no owner uses or what the model has
    /// no share for; `unowned` is the topics without an owner.
    pub reconciliation: Vec<Reconciled>,
    /// Billed cost per owner from cost-allocation tags (a second view of the bill, beside the model's allocation).
    pub tag_costs: Vec<TagCost>,
    /// Data completeness: one entry per source, as collected.
    pub sources: Vec<SourceReport>,
    pub assumptions: Assumptions,
    /// The default price book's version; each cluster lists the prices it was priced with.
    pub price_book_version: String,
    /// What-if scenarios from the config, each priced against today.
    pub what_ifs: Vec<WhatIfResult>,
    /// The scorecard and next-action thresholds this run used (`[readiness]`).
    pub readiness_rules: ReadinessRules,
    /// Proposed next actions, biggest saving first (savings of one topic's actions overlap; do not add them).
    pub actions: Vec<Action>,
    /// Each broker's disk, partitions and throughput against its limits, and when its disk crosses the threshold.
    pub capacity: Capacity,
    /// Per cluster, whether its ACLs were visible (docs/handoff.md, "Access"). Added in version 15.
    #[serde(default)]
    pub acl_coverage: Vec<AclCoverage>,
    /// Who may read and write each topic by its cluster's ACLs (clusters whose ACLs were visible). Added in
    /// version 15.
    #[serde(default)]
    pub access: Vec<TopicAccess>,
    /// Write access a governance review should look at. Added in version 15.
    #[serde(default)]
    pub access_issues: Vec<AccessIssue>,
    /// The gaps this run found beside the ones earlier runs found, each open until a run no longer finds it
    /// (docs/handoff.md, "Post-incident closure"); kept beside the run as `gaps.json`. Added in version 15.
    #[serde(default)]
    pub gap_ledger: GapLedger,
    /// The comparison with earlier runs under the same output directory; None when not compared (`render`
    /// keeps what the run found).
    pub history: Option<HistoryReport>,
    /// Warnings about the input (docs/input-rules.md): written into the report, the run marked incomplete.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    /// When the data was collected (not when the report was drawn), RFC 3339.
    pub captured_at: String,
    pub tool_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Totals {
    pub topics: i64,
    pub owners: i64,
    pub retained_bytes: i64,
    /// Each placement's monthly cost over every topic; null when any topic's cost in it is missing a part
    /// (`unknown` says which and what they lack), never the sum of what could be priced.
    pub broker_local_monthly_usd: Option<Decimal>,
    pub tiered_storage_monthly_usd: Option<Decimal>,
    pub shared_storage_monthly_usd: Option<Decimal>,
    /// Every topic on MSK Express brokers. Added in version 12.
    pub express_monthly_usd: Option<Decimal>,
    /// Today's placement of every topic (broker-local, or tiered where it is tiered today).
    pub current_monthly_usd: Option<Decimal>,
    /// Broker-local on each cluster sized for its own load: what right-sizing today's clusters would cost, with no
    /// migration (the topics' `right_sized_monthly_usd`); null when any is unknown.
    pub right_sized_monthly_usd: Option<Decimal>,
    /// Each total above that is unknown: the topics that make it so, what they lack, and the part that could be
    /// priced (a lower bound, shown only as one).
    pub unknown: Vec<UnknownTotal>,
    /// Sum of all billed lines; None when no cost lines were collected (not the same as $0).
    pub billed_usd: Option<Decimal>,
    pub billed_days: i64,
    /// What the proposed actions save together when they do not overlap: one action per topic (its biggest), and
    /// the cluster-level ones.
    pub achievable: Achievable,
    /// Topics whose cost under any placement is missing a part (an input or a price).
    pub incomplete_topics: i64,
    /// True when every source completed, and no input warning was found and no cost is missing a part.
    pub complete: bool,
}

/// The proposed actions' savings that add up: per topic only its biggest action (the savings of one topic's actions
/// overlap), plus the cluster-level actions (billed storage above the model's need, which no topic's cost holds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Achievable {
    /// The sum of the parts below, USD per month.
    pub monthly_saving_usd: Decimal,
    /// Right-sizing today's clusters, with no migration (the moves' `right_size_saving_usd`).
    pub right_size_usd: Decimal,
    /// Changing the architecture (the moves' `architecture_saving_usd`, or the whole saving of a move with no split).
    pub architecture_usd: Decimal,
    /// Operations on today's placement: shorter retention, fetch-from-follower, unused topics retired.
    pub operations_usd: Decimal,
    /// Cluster-level actions (smaller volumes).
    pub cluster_usd: Decimal,
    /// The actions counted (one per topic, and each cluster-level one).
    pub actions: i64,
}

/// A total over topics that is unknown because some of its topics' costs are missing a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct UnknownTotal {
    /// Which total: `current`, `broker_local`, `tiered_storage`, `shared_storage` or `express`.
    pub total: String,
    /// The sum of what could be priced: a lower bound of the total.
    pub known_usd: Decimal,
    /// The topics whose cost in this total is missing a part.
    pub topics: Vec<String>,
    /// What they lack, each once (`part: reason`, the words of the topics' `missing`).
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ClusterSummary {
    pub cluster: String,
    pub platform: String,
    pub region: String,
    pub broker_instance_type: String,
    pub brokers: i64,
    pub zones: i64,
    pub topics: i64,
    pub retained_bytes: i64,
    pub bytes_in_per_sec: f64,
    pub broker_local: CostBreakdown,
    /// Tiered storage for every topic that can be tiered, broker-local for the rest.
    pub tiered_storage: CostBreakdown,
    pub shared_storage: CostBreakdown,
    /// Every topic on MSK Express brokers, the cluster's Express fleet shared by write share. Added in version 12.
    pub express: CostBreakdown,
    /// The prices this cluster was priced with: its region's list prices, the bill's effective prices, overrides.
    pub prices: Vec<Price>,
    /// Billed lines attributed to this cluster over the cost window, one per usage type.
    pub billed: Vec<BilledLine>,
    /// None when no billed line is attributed to this cluster.
    pub billed_usd: Option<Decimal>,
    /// Per billed cost class: the bill as a monthly rate beside the modelled broker-local cost, and the residual.
    pub residuals: Vec<ClassResidual>,
    /// Broker-local sized for the cluster's own peak load and data, beside today's broker count.
    pub sizing: Sizing,
}

/// How far the model is from the bill for one cost class of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ClassResidual {
    pub cost_class: String,
    /// Billed amount ÷ days with data × days in a month (month_hours ÷ 24).
    pub billed_monthly_usd: Decimal,
    pub billed_days: i64,
    /// The modelled components of today's placement that carry this class, each by the share that lands on the
    /// cluster's own resources (inter-AZ: both sides of replication, the brokers' side of client traffic); None when
    /// the model has none.
    pub modelled_monthly_usd: Option<Decimal>,
    /// billed − modelled, per month.
    pub residual_usd: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct BilledLine {
    pub cost_class: String,
    pub service: String,
    pub usage_type: String,
    pub usage_unit: String,
    /// Null when a line of the source had none (unknown, not 0).
    pub usage_quantity: Option<Decimal>,
    /// The net bill: charges, credits and refunds.
    pub amount_usd: Decimal,
    /// Usage of the charged lines (those with a non-negative amount); null when one of them had none.
    pub charged_quantity: Option<Decimal>,
    /// Credits and refunds (the negative lines), included in `amount_usd`; 0 or less.
    pub credits_usd: Decimal,
    /// Effective unit price of what was charged: (amount − credits) ÷ charged quantity (None when nothing was
    /// charged for a quantity, or that quantity is unknown). Credits never lower it.
    pub unit_price_usd: Option<Decimal>,
    pub days: i64,
    pub first_day: String,
    pub last_day: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OwnerSummary {
    pub owner: String,
    pub team: String,
    pub cost_center: String,
    pub escalation: String,
    pub channel: Option<String>,
    pub topics: i64,
    pub partitions: i64,
    pub retained_bytes: i64,
    /// The owner's workload topics' write rate, bytes/s; null when one of them has none (unknown, not a partial sum).
    pub bytes_in_per_sec: Option<f64>,
    pub consumer_groups: i64,
    pub max_group_lag: i64,
    /// The owner's topics' monthly cost under each placement; null when any of them is missing a part of it.
    pub broker_local_monthly_usd: Option<Decimal>,
    pub tiered_storage_monthly_usd: Option<Decimal>,
    pub shared_storage_monthly_usd: Option<Decimal>,
    /// Added in version 12.
    pub express_monthly_usd: Option<Decimal>,
    pub current_monthly_usd: Option<Decimal>,
    /// Broker-local right-sized (the topics' `right_sized_monthly_usd`); null when any is unknown.
    pub right_sized_monthly_usd: Option<Decimal>,
    /// The owner's topics whose cost under any placement is missing a part.
    pub incomplete_topics: i64,
    /// Over the owner's topics whose cost is complete (`choice_topics` of them): the cheapest placement, the
    /// saving and the retention multiple at which the choice flips. None when no topic is complete.
    pub choice: Option<Choice>,
    pub choice_topics: i64,
    /// The owner's topics' scorecards rolled up (worst verdict per dimension); None without topics.
    pub readiness: Option<Scorecard>,
    /// Proposed next actions in this owner's pack, and the largest one's monthly saving.
    pub actions: i64,
    pub action_saving_usd: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TopicReport {
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
    /// Where `bytes_in_per_sec` comes from: `metric` (CloudWatch), `offsets between runs`, `offsets within the
    /// run` (log-end offsets read twice, times the average record size), or why there is none. Added in version 11.
    pub write_rate_basis: String,
    /// The write rate the offsets give, beside the metric's where both exist (bytes/s). Added in version 11.
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
    /// On MSK Express brokers: one copy in Express storage, every byte written, the topic's write share of the
    /// Express brokers the cluster's load needs, clients as on Kafka. Added in version 12.
    pub express: CostBreakdown,
    /// Cheapest placement, saving and flip point; None when today's cost is incomplete.
    pub choice: Option<Choice>,
    /// Broker-local on the cluster sized for its own load (`clusters[].sizing`): the broker-local cost with its
    /// broker hours × brokers needed ÷ brokers today. The like-for-like base of every placement's saving; None when
    /// unknown.
    pub right_sized_monthly_usd: Option<Decimal>,
    pub readiness: Option<Scorecard>,
}

impl TopicReport {
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

    /// What was missing for any placement, each message once.
    pub fn missing(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let tiered = self.tiered_storage.iter().flat_map(|t| t.missing.iter());
        let placements = self.broker_local.missing.iter().chain(tiered).chain(&self.shared_storage.missing);
        for m in placements.chain(&self.express.missing) {
            if !out.contains(&m.as_str()) {
                out.push(m);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct GroupLag {
    pub cluster: String,
    pub group_id: String,
    pub owner: String,
    pub state: String,
    pub topic: String,
    pub topic_owner: String,
    pub partitions: i64,
    pub total_lag: Option<i64>,
    pub max_partition_lag: Option<i64>,
    /// The lag in time: messages behind × average record size ÷ write rate; None when any is unknown.
    pub lag_ms: Option<i64>,
    /// Where the group's zones came from: measured (`client.rack`), configured, or assumed (evenly over the
    /// brokers' zones). None for a group on a topic the model did not price.
    pub zones_source: Option<ZoneSource>,
    /// The zones the model put the group in (`even over the brokers' zones`, `2 zones`, `use1-az1 50%, …`).
    pub client_zones: Option<String>,
    /// Share of the group's reads that cross a zone today (to leaders, or to the nearest replica with
    /// fetch-from-follower); None when a zone is unknown.
    pub crossing_share: Option<Decimal>,
    /// Copies of what is written to the topic that the group reads (1 = every byte once, 0 = not a reader), and
    /// what says so. None when the topic was not priced.
    pub reads: Option<Decimal>,
    pub read_basis: Option<ReadBasis>,
    /// The lag classified before it is routed: Burrow's status between the runs, the symptom and who responds
    /// first. Added in version 15.
    pub lag_class: LagClass,
}

/// A group's lag on a topic, classified (docs/handoff.md, "Lag classes").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct LagClass {
    pub status: LagStatus,
    pub symptom: LagSymptom,
    /// Who acts first: the group's owner, the platform owner, or both (`orders with platform`); None when there is
    /// nothing to route or the lag is not classified.
    pub first_responder: Option<String>,
    /// One line: the rule that fired and its figures.
    pub reason: String,
    /// The earlier run compared with; None without one.
    pub since_run: Option<String>,
    /// The partition the skew rule names (the most lag, or the most log-end growth); None without skew.
    pub hot_partition: Option<i64>,
    /// Brokers the capacity analysis flags that lead lagging partitions.
    pub pressured_brokers: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Reconciled {
    pub cluster: String,
    pub cost_class: String,
    pub owner: String,
    /// The owner's part of the billed amount over the billing window, in USD to the cent.
    pub billed_usd: Decimal,
    /// The modelled components whose monthly cost gave the shares.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TagCost {
    pub owner: String,
    /// Why this tag value belongs to the owner (catalog rule, `tag value is an owner id`, `(untagged)`).
    pub owner_rule: String,
    pub tag_key: String,
    /// Empty when the cost carries no such tag.
    pub tag_value: String,
    pub source: String,
    pub first_day: String,
    pub last_day: String,
    pub days: i64,
    pub amount_usd: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CostDay {
    pub source: String,
    pub day: String,
    pub lines: i64,
    /// Null when the source delivered no cost line for the day.
    pub amount_usd: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct DailyCost {
    pub date: String,
    pub cluster: String,
    pub cost_class: String,
    pub amount_usd: Decimal,
}

/// One what-if scenario: what changed, for which topics, and the monthly cost of today's placement before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WhatIfResult {
    pub what_if: WhatIf,
    pub topics: Vec<WhatIfTopic>,
    /// Per owner of a changed topic: before, after, delta.
    pub owners: Vec<WhatIfOwner>,
    /// Topics Kafka would refuse the change on (their `refused` says why); they are left at today's cost.
    pub refused: i64,
    pub before_usd: Decimal,
    pub after_usd: Decimal,
    pub delta_usd: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WhatIfTopic {
    pub cluster: String,
    pub topic: String,
    pub owner: String,
    pub placement_before: Scenario,
    pub placement_after: Scenario,
    pub before_usd: Decimal,
    pub after_usd: Decimal,
    pub delta_usd: Decimal,
    /// Inputs the change needed and did not have (e.g. a new retention for a topic with unlimited retention and
    /// no write rate): the topic is then left unchanged and named here.
    pub notes: Vec<String>,
    /// What was missing for the cost after the change (a lower bound when non-empty).
    pub missing: Vec<String>,
    /// Why Kafka would refuse the change on this topic (a replication factor above the brokers, or below
    /// `min.insync.replicas`): it is then not priced, its cost after is today's, and it saves nothing.
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WhatIfOwner {
    pub owner: String,
    pub topics: i64,
    pub before_usd: Decimal,
    pub after_usd: Decimal,
    pub delta_usd: Decimal,
}
