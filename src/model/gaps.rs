//! What the model could not price, as the run's findings: one per cluster and missing input, naming the topics it
//! leaves unknown, the totals it touches and the fix. A run with one is partial (exit 1), and each total it touches
//! is unknown, never the sum of the part that could be priced (docs/input-rules.md, "The model's warnings").

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::Topic;
use super::cost::{CostBreakdown, Reason};
use crate::problem::Finding;
use crate::report_model::UnknownTotal;
use crate::settings::ModelSettings;

/// A total the report shows: its name in `model.json`, its words, and how to read its part off one topic.
pub(crate) struct Total {
    pub key: &'static str,
    pub words: &'static str,
    pub cost: fn(&Topic) -> &CostBreakdown,
}

/// Every total over topics the report shows, in the report's order.
pub(crate) const TOTALS: [Total; 5] = [
    Total { key: "current", words: "today", cost: Topic::current_cost },
    Total { key: "broker_local", words: "on broker-local disk", cost: |t| &t.broker_local },
    Total { key: "tiered_storage", words: "on tiered storage", cost: Topic::tiered_or_local },
    Total { key: "shared_storage", words: "on shared storage", cost: |t| &t.shared_storage },
    Total { key: "express", words: "on MSK Express", cost: |t| &t.express },
];

/// The rules of the model's warnings, as `model.json` names them (docs/input-rules.md lists each).
pub(crate) const RULES: [&str; 5] =
    ["price-missing", "size-missing", "write-rate-missing", "remote-bytes-unknown", "zone-missing"];

/// A topic whose cost is missing something in any total.
pub(crate) fn is_incomplete(t: &Topic) -> bool {
    TOTALS.iter().any(|total| !(total.cost)(t).missing.is_empty())
}

/// The sum of one total over `topics`: None when any of them is missing a part of it.
pub(crate) fn known_sum<'a>(topics: impl IntoIterator<Item = &'a Topic>, total: &Total) -> Option<Decimal> {
    topics.into_iter().map(|t| (total.cost)(t)).map(|c| c.missing.is_empty().then_some(c.monthly_usd)).sum()
}

/// Each total that is unknown over `topics`: the part that could be priced (a lower bound), the topics that make it
/// unknown, and what they lack.
pub(crate) fn unknown_totals(topics: &[Topic]) -> Vec<UnknownTotal> {
    TOTALS
        .iter()
        .filter_map(|total| {
            let lacking: Vec<&Topic> = topics.iter().filter(|t| !(total.cost)(t).missing.is_empty()).collect();
            if lacking.is_empty() {
                return None;
            }
            let mut missing: Vec<String> =
                lacking.iter().flat_map(|t| (total.cost)(t).missing.iter().map(ToString::to_string)).collect();
            missing.sort();
            missing.dedup();
            Some(UnknownTotal {
                total: total.key.to_string(),
                known_usd: topics.iter().map(|t| (total.cost)(t).monthly_usd).sum(),
                topics: lacking.iter().map(|t| t.topic.clone()).collect(),
                missing,
            })
        })
        .collect()
}

/// One missing input of one cluster: the topics it leaves unknown and the totals it touches.
#[derive(Default)]
struct Gap<'a> {
    topics: BTreeSet<&'a str>,
    totals: BTreeSet<usize>,
}

/// The model's warnings: one per cluster and missing input (a price key, sizes, write rates, …).
pub(crate) fn findings(topics: &[Topic], config: &ModelSettings) -> Vec<Finding> {
    let mut gaps: BTreeMap<(&str, GapKind), Gap<'_>> = BTreeMap::new();
    for t in topics {
        for (i, total) in TOTALS.iter().enumerate() {
            for m in &(total.cost)(t).missing {
                let gap = gaps.entry((t.cluster.as_str(), GapKind::of(&m.reason))).or_default();
                gap.topics.insert(&t.topic);
                gap.totals.insert(i);
            }
        }
    }
    gaps.into_iter()
        .map(|((cluster, kind), gap)| {
            let region = config.clusters.iter().find(|c| c.name == cluster).map(|c| c.region.as_str()).unwrap_or("");
            let totals: Vec<&str> = gap.totals.iter().map(|i| TOTALS[*i].words).collect();
            let n = gap.topics.len();
            let affected = format!(
                "so the cost of {n} topic(s) is unknown {} ({})",
                totals.join(", "),
                named(gap.topics.iter().copied())
            );
            let (rule, table, column, message) = match kind {
                GapKind::Price(key, unit) => (
                    "price-missing",
                    config.config_path.clone(),
                    format!("prices_by_region.{region}"),
                    format!(
                        "cluster `{cluster}` ({region}) has no price `{key}` (USD per {unit}), {affected}; fill it: \
                         `kafka-finops prices refresh --region {region}` and `[prices] refresh = true`, or \
                         [prices_by_region.{region}] \"{key}\" = <USD per {unit}> from the AWS pricing page"
                    ),
                ),
                GapKind::Size => (
                    "size-missing",
                    "partitions".to_string(),
                    "size_bytes".to_string(),
                    format!(
                        "cluster `{cluster}`: partitions whose size on disk was not collected, {affected}; the source \
                         that reads log dirs (DescribeLogDirs) says why"
                    ),
                ),
                GapKind::WriteRate => (
                    "write-rate-missing",
                    "metric_points".to_string(),
                    "BytesInPerSec".to_string(),
                    format!(
                        "cluster `{cluster}`: no write-rate metric (BytesInPerSec per topic), {affected}; on MSK turn \
                         on PER_TOPIC_PER_BROKER monitoring and collect CloudWatch; without it the rates come from the \
                         log-end offsets, read twice in a run (`rate_sample_seconds` above 0) or between runs"
                    ),
                ),
                GapKind::RemoteBytes => (
                    "remote-bytes-unknown",
                    "topics".to_string(),
                    "retention_ms".to_string(),
                    format!(
                        "cluster `{cluster}`: topics tiered today whose remote bytes need a write rate and a finite \
                         retention, {affected}"
                    ),
                ),
                GapKind::Zone => (
                    "zone-missing",
                    "brokers".to_string(),
                    "rack".to_string(),
                    format!(
                        "cluster `{cluster}`: a broker's or client's zone is unknown, {affected}; set `broker.rack` \
                         on every broker, or `[[model.clients]]` zones"
                    ),
                ),
            };
            debug_assert!(RULES.contains(&rule), "{rule} is listed in RULES (and so in docs/input-rules.md)");
            Finding { rule: rule.into(), table, line: None, column, message }
        })
        .collect()
}

/// Up to five names, then how many more.
fn named<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = names.len();
    let shown: Vec<String> = names.take(5).map(|t| format!("`{t}`")).collect();
    if n > shown.len() { format!("{} and {} more", shown.join(", "), n - shown.len()) } else { shown.join(", ") }
}

/// What a missing part of a cost comes down to, per cluster: one finding each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GapKind {
    /// The key's text (which orders the findings) and its unit.
    Price(String, &'static str),
    Size,
    WriteRate,
    RemoteBytes,
    Zone,
}

impl GapKind {
    fn of(reason: &Reason) -> GapKind {
        match reason {
            Reason::NoPrice(key) => GapKind::Price(key.to_string(), key.unit()),
            Reason::SizeNotCollected { .. } => GapKind::Size,
            Reason::NoWriteRate | Reason::BoundUnknown => GapKind::WriteRate,
            Reason::RemoteBytesUnknown => GapKind::RemoteBytes,
            Reason::ZoneUnknown(_) => GapKind::Zone,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_list_every_rule_of_the_model() {
        let doc = include_str!("../../docs/input-rules.md");
        for rule in super::RULES {
            assert!(doc.contains(&format!("`{rule}`")), "docs/input-rules.md lacks `{rule}`");
        }
    }
}
