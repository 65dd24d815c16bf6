//! The gap ledger (docs/handoff.md, "Post-incident closure"): the gaps a run finds (no owner, no alert route,
//! evidence missing, a catalog rule matching nothing, a proposed action not taken, a writer without an owner), each
//! with a stable id, carried on from the newest earlier run's ledger: first seen, runs open, closed when a run no
//! longer finds it, reopened when one finds it again. A gap open for fewer than `[closure] watch_runs` runs is
//! `watch`; older, or reopened, `blocked`. The post-incident closure dimension reads it.

use std::collections::BTreeMap;

use crate::catalog::UNOWNED;
use crate::problem::Finding;
use crate::report_model::{AccessIssue, AccessIssueKind, Gap, GapKind, GapLedger, Verdict};
use crate::settings::{ClosureRules, OwnerContact};

use super::Topic;
use super::actions::Action;
use super::readiness::{Check, by};

/// The format `gaps.json` is written in.
pub const LEDGER_FORMAT: u32 = 1;

/// A gap as this run finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub kind: GapKind,
    pub owner: String,
    pub cluster: Option<String>,
    pub topic: Option<String>,
    pub detail: String,
}

fn topic_gap(kind: GapKind, t: &Topic, detail: String) -> Found {
    Found {
        id: format!("{}:{}/{}", kind.key(), t.cluster, t.topic),
        kind,
        owner: t.owner.clone(),
        cluster: Some(t.cluster.clone()),
        topic: Some(t.topic.clone()),
        detail,
    }
}

/// What this run finds. Internal topics are the brokers' own: no owner or write rate is asked of them.
pub fn found(
    topics: &[Topic],
    contacts: &[OwnerContact],
    findings: &[Finding],
    issues: &[AccessIssue],
    actions: &[Action],
    platform: &str,
) -> Vec<Found> {
    let mut out = Vec::new();
    for t in topics.iter().filter(|t| !t.is_internal) {
        if t.owner == UNOWNED {
            out.push(topic_gap(GapKind::NoOwner, t, format!("no catalog rule matches `{}`", t.topic)));
        }
        let mut missing = Vec::new();
        if t.retained_bytes.is_none() {
            missing.push("size on disk");
        }
        if t.retention_ms.is_none() || t.cleanup_policy.is_none() {
            missing.push("topic configs");
        }
        if t.bytes_in_per_sec.is_none() {
            missing.push("write rate");
        }
        if !missing.is_empty() {
            out.push(topic_gap(GapKind::EvidenceMissing, t, format!("not collected: {}", missing.join(", "))));
        }
    }
    let no_channel = |c: &&OwnerContact| c.channel.as_deref().is_none_or(|ch| ch.trim().is_empty());
    for c in contacts.iter().filter(|c| c.owner != UNOWNED).filter(no_channel) {
        out.push(Found {
            id: format!("{}:{}", GapKind::NoRoute.key(), c.owner),
            kind: GapKind::NoRoute,
            owner: c.owner.clone(),
            cluster: None,
            topic: None,
            detail: format!("escalation {} but no alert channel in the catalog", c.escalation),
        });
    }
    for f in findings.iter().filter(|f| f.rule == "catalog-rule-matches") {
        let rule = f.message.split(" matches no name").next().unwrap_or(&f.message);
        out.push(Found {
            id: format!("{}:{rule}", GapKind::RuleMatchesNothing.key()),
            kind: GapKind::RuleMatchesNothing,
            owner: platform.to_string(),
            cluster: None,
            topic: None,
            detail: format!("{}:{}: {}", f.table, f.line.unwrap_or_default(), f.message),
        });
    }
    for i in issues.iter().filter(|i| i.kind == AccessIssueKind::UnownedWriter) {
        out.push(Found {
            id: format!("{}:{}/{}/{}", GapKind::UnownedWriter.key(), i.cluster, i.topic, i.principal),
            kind: GapKind::UnownedWriter,
            owner: i.topic_owner.clone(),
            cluster: Some(i.cluster.clone()),
            topic: Some(i.topic.clone()),
            detail: i.reason.clone(),
        });
    }
    for a in actions {
        let about = a.topic.as_deref().map(|t| format!("{}/{t}", a.cluster)).unwrap_or_else(|| a.cluster.clone());
        out.push(Found {
            id: format!("{}:{}:{about}", GapKind::ActionNotTaken.key(), <&str>::from(a.kind)),
            kind: GapKind::ActionNotTaken,
            owner: a.owner.clone(),
            cluster: Some(a.cluster.clone()),
            topic: a.topic.clone(),
            detail: a.summary.clone(),
        });
    }
    // One gap per id (two actions of one kind on one topic are one gap).
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// The verdict of a gap open `runs_open` runs: proposed actions count only from `action_runs` on.
fn verdict(kind: GapKind, runs_open: i64, reopened: i64, rules: &ClosureRules) -> Option<Verdict> {
    let age = if kind == GapKind::ActionNotTaken { runs_open - rules.action_runs + 1 } else { runs_open };
    match age {
        ..=0 => None,
        _ if age >= rules.watch_runs || reopened > 0 => Some(Verdict::Blocked),
        _ => Some(Verdict::Watch),
    }
}

/// The ledger after this run: the earlier one's gaps carried on (aged, closed, reopened) and this run's new ones.
pub fn carry(
    earlier: Option<&GapLedger>,
    found: Vec<Found>,
    captured_at: &str,
    rules: &ClosureRules,
    note: Option<String>,
) -> GapLedger {
    let run = earlier.map_or(1, |l| l.run + 1);
    let mut now: BTreeMap<String, Found> = found.into_iter().map(|f| (f.id.clone(), f)).collect();
    let mut gaps = Vec::new();
    for g in earlier.map(|l| l.gaps.as_slice()).unwrap_or_default() {
        let mut g = g.clone();
        match (now.remove(&g.id), g.closed_in.is_some()) {
            // Still open: one run older.
            (Some(f), false) => {
                g.runs_open += 1;
                (g.last_seen, g.detail) = (run, f.detail);
            }
            // Back after being closed.
            (Some(f), true) => {
                (g.runs_open, g.closed_in, g.reopened) = (1, None, g.reopened + 1);
                (g.last_seen, g.detail) = (run, f.detail);
            }
            // Not found any more: closed now (an action not yet due was taken, or went: it leaves no trace).
            (None, false) => {
                if verdict(g.kind, g.runs_open, g.reopened, rules).is_none() {
                    continue;
                }
                g.closed_in = Some(run);
            }
            (None, true) => {}
        }
        g.verdict = match g.closed_in {
            Some(_) => Some(Verdict::Ready),
            None => verdict(g.kind, g.runs_open, g.reopened, rules),
        };
        gaps.push(g);
    }
    gaps.extend(now.into_values().map(|f| Gap {
        verdict: verdict(f.kind, 1, 0, rules),
        id: f.id,
        kind: f.kind,
        owner: f.owner,
        cluster: f.cluster,
        topic: f.topic,
        detail: f.detail,
        first_seen: run,
        first_seen_at: captured_at.to_string(),
        last_seen: run,
        runs_open: 1,
        closed_in: None,
        reopened: 0,
    }));
    // Open gaps first, oldest first; then actions not yet due; then closed ones, latest closed first.
    let rank = |g: &Gap| match (g.closed_in.is_some(), g.verdict) {
        (false, Some(_)) => 0,
        (false, None) => 1,
        (true, _) => 2,
    };
    gaps.sort_by(|a, b| {
        (rank(a), std::cmp::Reverse(a.runs_open), &a.id).cmp(&(rank(b), std::cmp::Reverse(b.runs_open), &b.id))
    });
    GapLedger { format: LEDGER_FORMAT, run, captured_at: captured_at.to_string(), gaps, note }
}

/// Post-incident closure from the open gaps given: none is `ready`; otherwise the worst gap's verdict, named.
fn closure<'a>(open: impl Iterator<Item = &'a Gap>) -> Check {
    let open: Vec<&Gap> = open.filter(|g| g.closed_in.is_none() && g.verdict.is_some()).collect();
    let Some(worst) = open.iter().max_by_key(|g| (g.verdict, g.runs_open)) else {
        return by("closure-none", "no open gap in the ledger");
    };
    let again = if worst.reopened > 0 { format!(", reopened {}×", worst.reopened) } else { String::new() };
    let id = if worst.verdict == Some(Verdict::Blocked) { "closure-aged" } else { "closure-open" };
    by(
        id,
        format!(
            "{} open gap(s); e.g. {}: {} (open {} run(s), since run {}{again})",
            open.len(),
            worst.kind.label(),
            worst.detail,
            worst.runs_open,
            worst.first_seen
        ),
    )
}

/// A topic's post-incident closure: its own open gaps.
pub fn topic_check(cluster: &str, topic: &str, ledger: &GapLedger) -> Check {
    closure(ledger.gaps.iter().filter(|g| g.cluster.as_deref() == Some(cluster) && g.topic.as_deref() == Some(topic)))
}

/// An owner's post-incident closure: every open gap that is theirs, on a topic or not.
pub fn owner_check(owner: &str, ledger: &GapLedger) -> Check {
    closure(ledger.gaps.iter().filter(|g| g.owner == owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(id: &str, kind: GapKind) -> Found {
        Found { id: id.into(), kind, owner: "o".into(), cluster: None, topic: None, detail: id.into() }
    }

    fn state(l: &GapLedger, id: &str) -> Option<(i64, Option<i64>, i64, Option<Verdict>)> {
        l.gaps.iter().find(|g| g.id == id).map(|g| (g.runs_open, g.closed_in, g.reopened, g.verdict))
    }

    /// A gap through four runs (watch_runs 3, action_runs 2): opened, aged to blocked, closed, reopened.
    #[test]
    fn a_gap_is_opened_aged_closed_and_reopened() {
        let rules = ClosureRules { watch_runs: 3, action_runs: 2 };
        let a = gap("no_owner:c/t", GapKind::NoOwner);
        let act = gap("action_not_taken:shorten_retention:c/t", GapKind::ActionNotTaken);
        let r1 = carry(None, vec![a.clone(), act.clone()], "2026-11-01", &rules, None);
        assert_eq!(state(&r1, &a.id), Some((1, None, 0, Some(Verdict::Watch))));
        // The action is proposed once: not a gap yet.
        assert_eq!(state(&r1, &act.id), Some((1, None, 0, None)));
        let r2 = carry(Some(&r1), vec![a.clone(), act.clone()], "2026-11-02", &rules, None);
        assert_eq!(state(&r2, &a.id), Some((2, None, 0, Some(Verdict::Watch))));
        assert_eq!(state(&r2, &act.id), Some((2, None, 0, Some(Verdict::Watch))));
        let r3 = carry(Some(&r2), vec![a.clone()], "2026-11-03", &rules, None);
        // Three runs open: blocked. The action was taken: its gap closes.
        assert_eq!(state(&r3, &a.id), Some((3, None, 0, Some(Verdict::Blocked))));
        assert_eq!(state(&r3, &act.id), Some((2, Some(3), 0, Some(Verdict::Ready))));
        let r4 = carry(Some(&r3), vec![], "2026-11-04", &rules, None);
        assert_eq!(state(&r4, &a.id), Some((3, Some(4), 0, Some(Verdict::Ready))));
        let r5 = carry(Some(&r4), vec![a.clone()], "2026-11-05", &rules, None);
        // Back: blocked at once, first seen kept.
        assert_eq!(state(&r5, &a.id), Some((1, None, 1, Some(Verdict::Blocked))));
        assert_eq!(r5.gaps.iter().find(|g| g.id == a.id).unwrap().first_seen, 1);
        assert_eq!(r5.run, 5);
        // An action proposed once and gone leaves no trace.
        let gone = carry(Some(&r1), vec![a.clone()], "2026-11-02", &rules, None);
        assert_eq!(state(&gone, &act.id), None);
    }
}
