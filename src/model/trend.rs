//! History across nightly runs: this run's summary (`summary.json`, written beside `model.json`) and the
//! comparison with earlier runs' summaries: cost deltas per owner and topic, new and deleted topics, owners whose
//! cost jumped past the `[history]` thresholds (anomalies), and the series the trend chart draws. Pure: the
//! earlier summaries are read by `crate::history`.

pub use crate::settings::HistoryRules;
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::report_model::ReportModel;

/// What a run keeps for later runs to compare with: totals, and today's cost per owner and per topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub model_version: u32,
    pub scenario: String,
    pub captured_at: String,
    /// None when unknown (a topic's cost is missing a part); so are an owner's and a topic's below.
    pub current_monthly_usd: Option<Decimal>,
    pub billed_usd: Option<Decimal>,
    pub complete: bool,
    pub topics: i64,
    pub owners: BTreeMap<String, Option<Decimal>>,
    /// `cluster/topic` → (owner, today's monthly cost).
    pub topic_costs: BTreeMap<String, (String, Option<Decimal>)>,
    /// `cluster/topic` → bytes of one copy retained (when collected): the next run's growth figures.
    #[serde(default)]
    pub topic_bytes: BTreeMap<String, i64>,
    /// `cluster/topic` → its write rate, bytes/s (when known): the points a later run's capacity trend is fitted to.
    /// Added with model version 11.
    #[serde(default)]
    pub topic_rates: BTreeMap<String, f64>,
    /// Owner → the gap ledger's gaps this run: open, opened this run, closed this run. Added with model version 15.
    #[serde(default)]
    pub gaps: BTreeMap<String, GapCounts>,
}

/// One owner's gaps in one run's ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapCounts {
    pub open: i64,
    pub opened: i64,
    pub closed: i64,
}

/// Each owner's open, opened and closed gaps in the run's ledger (proposed actions not yet due are not gaps).
fn gap_counts(model: &ReportModel) -> BTreeMap<String, GapCounts> {
    let ledger = &model.gap_ledger;
    let mut out: BTreeMap<String, GapCounts> = BTreeMap::new();
    for g in ledger.gaps.iter().filter(|g| g.verdict.is_some()) {
        let c = out.entry(g.owner.clone()).or_default();
        match &g.closed_in {
            Some(run) if *run == ledger.run => c.closed += 1,
            Some(_) => {}
            None => {
                c.open += 1;
                // Opened (or reopened) this run; a proposed action comes due later, so counts as open only.
                if g.runs_open == 1 && g.kind != crate::report_model::GapKind::ActionNotTaken {
                    c.opened += 1;
                }
            }
        }
    }
    out
}

pub fn summarize(model: &ReportModel) -> RunSummary {
    RunSummary {
        model_version: model.version,
        scenario: model.scenario.name.clone(),
        captured_at: model.scenario.captured_at.clone(),
        current_monthly_usd: model.totals.current_monthly_usd,
        billed_usd: model.totals.billed_usd,
        complete: model.totals.complete,
        topics: model.totals.topics,
        owners: model.owners.iter().map(|o| (o.owner.clone(), o.current_monthly_usd)).collect(),
        topic_costs: model
            .topics
            .iter()
            .map(|t| {
                let cost = t.current_cost();
                let known = cost.missing.is_empty().then_some(cost.monthly_usd);
                (format!("{}/{}", t.cluster, t.topic), (t.owner.clone(), known))
            })
            .collect(),
        topic_bytes: model
            .topics
            .iter()
            .filter_map(|t| t.retained_bytes.map(|b| (format!("{}/{}", t.cluster, t.topic), b)))
            .collect(),
        topic_rates: model
            .topics
            .iter()
            .filter_map(|t| t.bytes_in_per_sec.map(|r| (format!("{}/{}", t.cluster, t.topic), r)))
            .collect(),
        gaps: gap_counts(model),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPoint {
    /// The run directory's name; `this run` for the run being written.
    pub run_id: String,
    pub captured_at: String,
    pub current_monthly_usd: Option<Decimal>,
    pub owners: BTreeMap<String, Option<Decimal>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDelta {
    /// `cluster/topic`.
    pub topic: String,
    pub owner: String,
    pub previous_usd: Option<Decimal>,
    pub current_usd: Option<Decimal>,
    pub delta_usd: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growth {
    pub bytes: i64,
    pub bytes_per_day: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Compares this run with earlier ones (`(run id, summary)`, any order); the newest earlier run is "previous".
pub fn compare(
    model: &ReportModel,
    earlier: &[(String, RunSummary)],
    skipped: Vec<String>,
    rules: &HistoryRules,
) -> HistoryReport {
    let now = summarize(model);
    let mut earlier: Vec<&(String, RunSummary)> = earlier.iter().collect();
    earlier.sort_by(|a, b| a.0.cmp(&b.0));
    let keep = earlier.len().saturating_sub(rules.runs);
    let earlier = &earlier[keep..];
    let mut runs: Vec<RunPoint> = earlier
        .iter()
        .map(|(id, s)| RunPoint {
            run_id: id.clone(),
            captured_at: s.captured_at.clone(),
            current_monthly_usd: s.current_monthly_usd,
            owners: s.owners.clone(),
        })
        .collect();
    runs.push(RunPoint {
        run_id: "this run".into(),
        captured_at: now.captured_at.clone(),
        current_monthly_usd: now.current_monthly_usd,
        owners: now.owners.clone(),
    });
    let Some((previous_id, prev)) = earlier.last().map(|(id, s)| (id.clone(), s)) else {
        return HistoryReport {
            rules: rules.clone(),
            previous_run: None,
            total_delta_usd: None,
            owners: Vec::new(),
            topics: Vec::new(),
            new_topics: Vec::new(),
            deleted_topics: Vec::new(),
            growth: BTreeMap::new(),
            runs,
            skipped,
        };
    };

    HistoryReport {
        rules: rules.clone(),
        previous_run: Some(previous_id),
        total_delta_usd: now.current_monthly_usd.zip(prev.current_monthly_usd).map(|(now, prev)| now - prev),
        owners: owner_deltas(prev, &now, rules),
        topics: topic_deltas(prev, &now),
        new_topics: now.topic_costs.keys().filter(|k| !prev.topic_costs.contains_key(*k)).cloned().collect(),
        deleted_topics: prev.topic_costs.keys().filter(|k| !now.topic_costs.contains_key(*k)).cloned().collect(),
        growth: growth(prev, &now),
        runs,
        skipped,
    }
}

/// Every owner of either run with its move, an anomaly when the move is both large in share and in dollars. An
/// owner whose cost is unknown in either run has no move.
fn owner_deltas(prev: &RunSummary, now: &RunSummary, rules: &HistoryRules) -> Vec<OwnerDelta> {
    let names: BTreeSet<&String> = prev.owners.keys().chain(now.owners.keys()).collect();
    names
        .into_iter()
        .filter_map(|owner| {
            let (before, after) = (known(prev.owners.get(owner).copied())?, known(now.owners.get(owner).copied())?);
            let delta = after.unwrap_or_default() - before.unwrap_or_default();
            let share = before.filter(|b| !b.is_zero()).map(|b| (delta / b).round_dp(4));
            let big = share.is_none_or(|s| s.abs() > rules.anomaly_share);
            Some(OwnerDelta {
                owner: owner.clone(),
                previous_usd: before,
                current_usd: after,
                delta_usd: delta,
                delta_share: share,
                anomaly: big && delta.abs() >= rules.anomaly_min_usd,
            })
        })
        .collect()
}

/// A cost in one run: `Some(None)` when absent from it (before it existed, or after it was gone), `None` when present
/// and unknown (no move can be said).
fn known(entry: Option<Option<Decimal>>) -> Option<Option<Decimal>> {
    match entry {
        None => Some(None),
        Some(None) => None,
        Some(known) => Some(known),
    }
}

/// The topics whose cost moved, biggest move first (at most 50).
fn topic_deltas(prev: &RunSummary, now: &RunSummary) -> Vec<TopicDelta> {
    let keys: BTreeSet<&String> = prev.topic_costs.keys().chain(now.topic_costs.keys()).collect();
    let mut topics: Vec<TopicDelta> = keys
        .into_iter()
        .filter_map(|key| {
            let (was, is) = (prev.topic_costs.get(key), now.topic_costs.get(key));
            let (before, after) = (known(was.map(|b| b.1))?, known(is.map(|a| a.1))?);
            let delta = after.unwrap_or_default() - before.unwrap_or_default();
            (!delta.is_zero()).then(|| TopicDelta {
                topic: key.clone(),
                owner: is.or(was).map(|x| x.0.clone()).unwrap_or_default(),
                previous_usd: before,
                current_usd: after,
                delta_usd: delta,
            })
        })
        .collect();
    topics.sort_by(|a, b| b.delta_usd.abs().cmp(&a.delta_usd.abs()).then(a.topic.cmp(&b.topic)));
    topics.truncate(50);
    topics
}

/// Bytes retained now minus in the previous run, per topic in both, and per day of capture time between them.
fn growth(prev: &RunSummary, now: &RunSummary) -> BTreeMap<String, Growth> {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let days = match (parse(&prev.captured_at), parse(&now.captured_at)) {
        (Some(a), Some(b)) if b > a => Some(Decimal::from((b - a).num_seconds()) / Decimal::from(86_400)),
        _ => None,
    };
    now.topic_bytes
        .iter()
        .filter_map(|(key, now_bytes)| {
            let before = prev.topic_bytes.get(key)?;
            let bytes = now_bytes - before;
            let per_day = days.map(|d| super::cost::whole(Decimal::from(bytes) / d));
            Some((key.clone(), Growth { bytes, bytes_per_day: per_day }))
        })
        .collect()
}
