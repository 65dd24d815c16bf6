//! Per-owner handoff packs, ready to attach to a ticket: `owners/<slug>.json` (the owner's slice of the model:
//! contacts, scorecard, topics with their evidence and cost components, consumer groups, next actions, billed
//! share, data completeness) and `owners/<slug>.csv` (one row per topic: evidence, verdicts, today's cost, actions).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report_model::Action;
use crate::report_model::SourceReport;
use crate::report_model::{AccessIssue, AclCoverage, Gap, TopicAccess};
use crate::report_model::{Dimension, Scorecard};
use crate::report_model::{GroupLag, OwnerSummary, Reconciled, ReportModel, ScenarioInfo, TagCost, TopicReport};

#[derive(Serialize)]
struct OwnerPack<'a> {
    model_version: u32,
    scenario: &'a ScenarioInfo,
    owner: &'a OwnerSummary,
    topics: Vec<&'a TopicReport>,
    /// Groups the owner runs, and groups of others reading the owner's topics.
    consumer_groups: Vec<&'a GroupLag>,
    actions: Vec<&'a Action>,
    billed: Vec<&'a Reconciled>,
    tag_costs: Vec<&'a TagCost>,
    sources: &'a [SourceReport],
    /// Who may read and write the owner's topics, per cluster whose ACLs were visible.
    access: Vec<&'a TopicAccess>,
    /// Write access to review: on the owner's topics, or by the owner's principals.
    access_issues: Vec<&'a AccessIssue>,
    acl_coverage: &'a [AclCoverage],
    /// The owner's gaps in the ledger: open, not yet due, and closed.
    gaps: Vec<&'a Gap>,
}

/// Each owner's slice of the model, gathered in one pass over it (the packs and the HTML's pack sections read it
/// per owner; filtering every list once per owner grew with owners × topics). Each list keeps the model's order.
#[derive(Default)]
pub(super) struct ByOwner<'a> {
    pub topics: Vec<&'a TopicReport>,
    /// Groups the owner runs, and groups of others reading the owner's topics.
    pub groups: Vec<&'a GroupLag>,
    pub actions: Vec<&'a Action>,
    pub billed: Vec<&'a Reconciled>,
    pub tag_costs: Vec<&'a TagCost>,
    pub access: Vec<&'a TopicAccess>,
    /// On the owner's topics, or by the owner's principals.
    pub access_issues: Vec<&'a AccessIssue>,
}

/// Every owner's [`ByOwner`], by owner id.
pub(super) fn by_owner(model: &ReportModel) -> std::collections::HashMap<&str, ByOwner<'_>> {
    let mut out: std::collections::HashMap<&str, ByOwner<'_>> = std::collections::HashMap::new();
    for t in &model.topics {
        out.entry(t.owner.as_str()).or_default().topics.push(t);
    }
    for g in &model.consumer_groups {
        out.entry(g.owner.as_str()).or_default().groups.push(g);
        if g.topic_owner != g.owner {
            out.entry(g.topic_owner.as_str()).or_default().groups.push(g);
        }
    }
    for a in &model.actions {
        out.entry(a.owner.as_str()).or_default().actions.push(a);
    }
    for r in &model.reconciliation {
        out.entry(r.owner.as_str()).or_default().billed.push(r);
    }
    for t in &model.tag_costs {
        out.entry(t.owner.as_str()).or_default().tag_costs.push(t);
    }
    for a in &model.access {
        out.entry(a.owner.as_str()).or_default().access.push(a);
    }
    for i in &model.access_issues {
        out.entry(i.topic_owner.as_str()).or_default().access_issues.push(i);
        if i.principal_owner != i.topic_owner {
            out.entry(i.principal_owner.as_str()).or_default().access_issues.push(i);
        }
    }
    out
}

/// A file-name-safe, unique name per owner, in the order of `model.owners` (see `slug_all`).
pub fn slugs(model: &ReportModel) -> Vec<String> {
    slug_all(model.owners.iter().map(|o| o.owner.as_str()))
}

/// Letters, digits, `-` and `_` kept (lowercased), anything else `-`, trimmed; empty → `owner`; a name taken
/// already gets `-2`, `-3`...
fn slug_all<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    names
        .map(|name| {
            let slug: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' })
                .collect();
            let slug = match slug.trim_matches('-') {
                "" => "owner".to_string(),
                s => s.to_string(),
            };
            let n = taken.entry(slug.clone()).or_insert(0);
            *n += 1;
            if *n > 1 { format!("{slug}-{n}") } else { slug }
        })
        .collect()
}

/// One verdict and reason as a CSV cell: `watch: cross-AZ 41% of $12.00/month`.
fn cell(card: Option<&Scorecard>, d: Dimension) -> String {
    card.and_then(|c| c.check(d)).map(|c| format!("{}: {}", c.verdict.key(), c.reason)).unwrap_or_default()
}

/// `(path, bytes)` of every owner's pack files.
pub fn files(model: &ReportModel) -> Vec<(String, Vec<u8>)> {
    let index = Index::new(model);
    let mut by_owner = by_owner(model);
    let mut out = Vec::new();
    for (o, slug) in model.owners.iter().zip(slugs(model)) {
        let mine = by_owner.remove(o.owner.as_str()).unwrap_or_default();
        let topics = mine.topics;
        let pack = OwnerPack {
            model_version: model.version,
            scenario: &model.scenario,
            owner: o,
            consumer_groups: mine.groups,
            actions: mine.actions,
            billed: mine.billed,
            tag_costs: mine.tag_costs,
            sources: &model.sources,
            topics: topics.clone(),
            access: mine.access,
            access_issues: mine.access_issues,
            acl_coverage: &model.acl_coverage,
            gaps: model.gap_ledger.gaps.iter().filter(|g| g.owner == o.owner).collect(),
        };
        let json = serde_json::to_vec(&pack).expect("an owner pack serializes");
        out.push((format!("owners/{slug}.json"), json));
        out.push((format!("owners/{slug}.csv"), topics_csv(&index, &o.owner, &topics)));
    }
    out
}

/// Per (cluster, topic): the slowest group's lag in time, and the summaries of the topic's actions by owner.
struct Index<'a> {
    growth: Option<&'a BTreeMap<String, crate::report_model::Growth>>,
    slowest: BTreeMap<(&'a str, &'a str), i64>,
    actions: BTreeMap<(&'a str, &'a str, &'a str), Vec<&'a str>>,
}

impl<'a> Index<'a> {
    fn new(model: &'a ReportModel) -> Self {
        let mut slowest: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for g in &model.consumer_groups {
            if let Some(ms) = g.lag_ms {
                let slot = slowest.entry((g.cluster.as_str(), g.topic.as_str())).or_insert(ms);
                *slot = (*slot).max(ms);
            }
        }
        let mut actions: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
        for a in &model.actions {
            if let Some(topic) = &a.topic {
                actions.entry((a.owner.as_str(), a.cluster.as_str(), topic.as_str())).or_default().push(&a.summary);
            }
        }
        Index { growth: model.history.as_ref().map(|h| &h.growth), slowest, actions }
    }
}

/// The columns of an owner's `owners/<slug>.csv`, one row per topic.
const TOPIC_COLUMNS: &[&str] = &[
    "cluster",
    "topic",
    "verdict",
    "ownership",
    "evidence",
    "safe_action_boundary",
    "cost_placement",
    "rollback_replay",
    "closure",
    "migration",
    "partitions",
    "replication_factor",
    "cross_zone_follower_share",
    "retention_ms",
    "cleanup_policy",
    "retained_bytes",
    "growth_bytes_since_last_run",
    "growth_bytes_per_day",
    "bytes_in_per_sec",
    "consumer_groups",
    "max_group_lag",
    "slowest_group_lag_ms",
    "placement",
    "today_monthly_usd",
    "cross_az_gib_per_month",
    "cross_az_monthly_usd",
    "cheapest",
    "saving_monthly_usd",
    "actions",
    "missing",
];

fn topics_csv(index: &Index<'_>, owner: &str, topics: &[&TopicReport]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TOPIC_COLUMNS).expect("writing to memory");
    let opt = |v: Option<String>| v.unwrap_or_default();
    for t in topics {
        let card = t.readiness.as_ref();
        let today = t.current_cost();
        let cross = today.components.iter().filter(|c| c.name.is_inter_az());
        let cross_gib: rust_decimal::Decimal = cross.clone().map(|c| c.quantity).sum();
        let cross_usd: rust_decimal::Decimal = cross.map(|c| c.monthly_usd).sum();
        let slowest = index.slowest.get(&(t.cluster.as_str(), t.topic.as_str())).copied();
        let growth = index.growth.and_then(|g| g.get(&format!("{}/{}", t.cluster, t.topic)));
        let no_actions = Vec::new();
        let actions = index.actions.get(&(owner, t.cluster.as_str(), t.topic.as_str())).unwrap_or(&no_actions);
        w.write_record([
            t.cluster.clone(),
            t.topic.clone(),
            card.map(|c| c.verdict.key().to_string()).unwrap_or_default(),
            cell(card, Dimension::Ownership),
            cell(card, Dimension::Evidence),
            cell(card, Dimension::SafeActionBoundary),
            cell(card, Dimension::CostPlacement),
            cell(card, Dimension::RollbackReplay),
            cell(card, Dimension::Closure),
            cell(card, Dimension::Migration),
            t.partitions.to_string(),
            t.replication_factor.to_string(),
            t.cross_zone_follower_share.normalize().to_string(),
            opt(t.retention_ms.map(|v| v.to_string())),
            opt(t.cleanup_policy.clone()),
            opt(t.retained_bytes.map(|v| v.to_string())),
            opt(growth.map(|g| g.bytes.to_string())),
            opt(growth.and_then(|g| g.bytes_per_day).map(|v| v.to_string())),
            opt(t.bytes_in_per_sec.map(|v| v.to_string())),
            t.consumer_groups.to_string(),
            t.max_group_lag.to_string(),
            opt(slowest.map(|v| v.to_string())),
            t.current.key().to_string(),
            opt(today.known_usd().map(|d| d.normalize().to_string())),
            cross_gib.normalize().to_string(),
            cross_usd.normalize().to_string(),
            opt(t.choice.as_ref().map(|c| c.cheapest.key().to_string())),
            opt(t.choice.as_ref().map(|c| c.saving_usd.normalize().to_string())),
            actions.join("; "),
            t.missing().join("; "),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_file_safe_and_unique() {
        let names = ["payments", "<script>alert(1)</script>", "Payments", "../../etc", "", "a b"];
        assert_eq!(
            super::slug_all(names.into_iter()),
            ["payments", "script-alert-1---script", "payments-2", "etc", "owner", "a-b"]
        );
    }
}
