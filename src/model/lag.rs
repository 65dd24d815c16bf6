//! Consumer lag classified before it is routed (docs/handoff.md, "Lag classes").
//!
//! Each partition a group commits on is evaluated by Burrow's rules (linkedin/Burrow,
//! `core/internal/evaluator/caching.go`, `calculatePartitionStatus`, and its wiki's "Consumer Lag Evaluation Rules")
//! over two readings: the newest earlier run's and this run's. The group's status on a topic is its worst
//! partition's, in Burrow's order. Beside Burrow's rules, two that need no consumer at all: partition skew (lag, or
//! log-end growth, concentrated in one partition) and broker disk pressure (lagging partitions led by a broker the
//! capacity analysis flags). The status and those pick the symptom, and the symptom the first responder. A
//! network-path problem cannot be told apart from Kafka's data; the docs and the report say so rather than guess.

use rust_decimal::Decimal;

use crate::format;
use crate::join::contract::GroupPartitionLag;
use crate::report_model::{Capacity, LagClass, LagStatus, LagSymptom};

/// One rule, as data: docs/handoff.md lists this table (a test holds the two in step).
pub struct LagRule {
    pub name: &'static str,
    pub when: &'static str,
    pub source: &'static str,
}

const BURROW: &str = "Burrow `calculatePartitionStatus`";

/// The rules in the order they are applied to a partition, then the ones beside them.
pub const LAG_RULES: &[LagRule] = &[
    LagRule {
        name: "unknown",
        when: "this run did not read the group's committed offset or the partition's log end",
        source: "this tool: unknown is never zero",
    },
    LagRule {
        name: "needs_second_run",
        when: "the earlier run did not read the group's committed offset or the partition's log end",
        source: "this tool: a change needs two readings",
    },
    LagRule { name: "ok", when: "the lag was zero at either reading (rule 1)", source: BURROW },
    LagRule { name: "rewind", when: "the committed offset went down (rule 2)", source: BURROW },
    LagRule {
        name: "stop",
        when: "no commit since the earlier run and the group has no members (rule 3 reads commit times, which \
               Kafka's OffsetFetch does not return; a group without members commits nothing)",
        source: BURROW,
    },
    LagRule { name: "stall", when: "no commit since the earlier run, with members (rule 4)", source: BURROW },
    LagRule {
        name: "warn",
        when: "commits advanced but the lag did not fall (rule 5) and grew by at least `lag_growth_share` of the \
               messages written between the runs (two readings, not Burrow's ten commits)",
        source: BURROW,
    },
    LagRule {
        name: "ok_keeping_pace",
        when: "otherwise: commits advanced and the lag fell, or grew by less than `lag_growth_share` of the messages \
               written",
        source: BURROW,
    },
    LagRule {
        name: "partition_skew",
        when: "a partition's lag, or its log-end growth between the runs, is at least `lag_skew_factor` × the mean \
               of the topic's other partitions' (and its lag grew)",
        source: "AWS re:Post, MSK consumer lag: \"identify outliers\"; 2× as in \"one partition's lag exceeds others \
                 by 2x or more\" (schema.ai, hot partition creates uneven consumer lag)",
    },
    LagRule {
        name: "broker_disk_pressure",
        when: "a lagging partition's leader crosses the disk threshold within `runway_watch_days` (docs/capacity.md)",
        source: "this tool's capacity analysis",
    },
];

/// One partition's readings.
#[derive(Debug, Clone, Copy)]
pub struct Readings {
    pub committed: Option<i64>,
    pub log_end: Option<i64>,
    pub committed_before: Option<i64>,
    pub log_end_before: Option<i64>,
}

/// Burrow's status of one partition between the two readings. `members`: whether the group has members now;
/// `growth_share`: a lag growing by less than this share of the messages written between the readings keeps pace.
pub fn partition_status(r: Readings, members: bool, growth_share: Decimal) -> LagStatus {
    let (Some(c1), Some(e1)) = (r.committed, r.log_end) else { return LagStatus::Unknown };
    let (Some(c0), Some(e0)) = (r.committed_before, r.log_end_before) else { return LagStatus::NeedsSecondRun };
    let (lag, lag_before) = ((e1 - c1).max(0), (e0 - c0).max(0));
    // Rule 1: a lag of zero at any reading is OK.
    if lag == 0 || lag_before == 0 {
        return LagStatus::Ok;
    }
    if c1 < c0 {
        return LagStatus::Rewind;
    }
    if c1 == c0 {
        return if members { LagStatus::Stall } else { LagStatus::Stop };
    }
    let written = Decimal::from((e1 - e0).max(0));
    if lag >= lag_before && Decimal::from(lag - lag_before) >= written * growth_share {
        LagStatus::Warn
    } else {
        LagStatus::Ok
    }
}

/// Whether a group in this coordinator state has members: Kafka's `Empty` and `Dead` have none; every other state
/// (classic `Stable`, `PreparingRebalance`, `CompletingRebalance`; KIP-848 `Assigning`, `Reconciling`) has some.
fn has_members(state: &str) -> bool {
    !matches!(state.to_ascii_lowercase().as_str(), "empty" | "dead")
}

/// Who classifies and routes: the group's owner, the platform owner, the flagged brokers.
pub struct Routing<'a> {
    pub owner: &'a str,
    pub platform: &'a str,
    pub capacity: &'a Capacity,
    pub skew_factor: Decimal,
    pub growth_share: Decimal,
}

/// The class of one group's lag on one topic, from its partitions' rows (one group, one topic).
pub fn classify(rows: &[GroupPartitionLag], routing: &Routing<'_>) -> LagClass {
    let state = rows.first().map(|r| r.state.as_str()).unwrap_or_default();
    let members = has_members(state);
    let readings: Vec<(i64, Readings)> = rows
        .iter()
        .map(|r| {
            let readings = Readings {
                committed: r.committed,
                log_end: r.log_end,
                committed_before: r.committed_before,
                log_end_before: r.log_end_before,
            };
            (r.partition, readings)
        })
        .collect();
    let statuses: Vec<(i64, LagStatus)> =
        readings.iter().map(|(p, r)| (*p, partition_status(*r, members, routing.growth_share))).collect();
    let since_run = rows.iter().find_map(|r| r.before_run.clone());
    let status = group_status(&statuses);
    let mut class = LagClass {
        status,
        symptom: LagSymptom::Unclassified,
        first_responder: None,
        reason: status_reason(status, &statuses, &readings, state),
        since_run,
        hot_partition: None,
        pressured_brokers: Vec::new(),
    };
    if matches!(status, LagStatus::NeedsSecondRun | LagStatus::Unknown) {
        return class;
    }
    // A group no catalog rule owns has no application team to call: the platform owner routes it.
    let unowned = routing.owner == crate::catalog::UNOWNED;
    let owner = if unowned { routing.platform.to_string() } else { routing.owner.to_string() };
    let with_platform = if unowned { owner.clone() } else { format!("{} with {}", routing.owner, routing.platform) };
    if unowned {
        class.reason = format!("{}; no catalog rule owns the group: {} routes it", class.reason, routing.platform);
    }
    if matches!(status, LagStatus::Rewind | LagStatus::Stop | LagStatus::Stall) {
        class.symptom = LagSymptom::ClientProcessing;
        class.first_responder = Some(owner);
        return class;
    }
    // WARN, or OK: a broker under disk pressure, then skew, then the consumer itself.
    class.pressured_brokers = pressured(rows, routing.capacity);
    let skew = skew(&readings, routing.skew_factor, routing.growth_share);
    if !class.pressured_brokers.is_empty() && status == LagStatus::Warn {
        let brokers: Vec<String> = class.pressured_brokers.iter().map(i64::to_string).collect();
        class.symptom = LagSymptom::BrokerDiskPressure;
        class.first_responder = Some(routing.platform.to_string());
        class.reason = format!(
            "{}; broker(s) {} lead lagging partitions and cross the disk threshold within {} days",
            class.reason,
            brokers.join(", "),
            routing.capacity.runway_watch_days
        );
    } else if let Some((partition, why)) = skew {
        class.symptom = LagSymptom::PartitionSkew;
        class.first_responder = Some(with_platform);
        class.hot_partition = Some(partition);
        class.reason = format!("{}; {why}", class.reason);
    } else if status == LagStatus::Warn {
        class.symptom = LagSymptom::ClientProcessing;
        class.first_responder = Some(owner);
    } else {
        class.symptom = LagSymptom::None;
    }
    class
}

/// The worst partition's status in Burrow's order; partitions without a verdict count only when no partition has
/// one (an unknown partition beside OK ones leaves the group unknown: it could be the one behind).
fn group_status(statuses: &[(i64, LagStatus)]) -> LagStatus {
    let worst = statuses.iter().map(|(_, s)| *s).filter(|s| *s >= LagStatus::Ok).max();
    let unknown = statuses.iter().any(|(_, s)| *s == LagStatus::Unknown);
    match worst {
        Some(LagStatus::Ok) if unknown => LagStatus::Unknown,
        Some(s) => s,
        None if unknown => LagStatus::Unknown,
        None => LagStatus::NeedsSecondRun,
    }
}

/// The partitions with `status`, the first eight named and the rest counted.
fn partitions_with(statuses: &[(i64, LagStatus)], status: LagStatus) -> String {
    let ps: Vec<String> = statuses.iter().filter(|(_, s)| *s == status).map(|(p, _)| p.to_string()).collect();
    match ps.len() {
        0..=8 => ps.join(", "),
        n => format!("{} and {} more", ps[..8].join(", "), n - 8),
    }
}

/// The sums over partitions with both readings: committed offsets' and log ends' moves, lag before and now.
fn moves(readings: &[(i64, Readings)]) -> (i64, i64, i64, i64) {
    readings.iter().fold((0, 0, 0, 0), |(dc, de, l0, l1), (_, r)| {
        match (r.committed, r.log_end, r.committed_before, r.log_end_before) {
            (Some(c1), Some(e1), Some(c0), Some(e0)) => {
                (dc + (c1 - c0), de + (e1 - e0), l0 + (e0 - c0).max(0), l1 + (e1 - c1).max(0))
            }
            _ => (dc, de, l0, l1),
        }
    })
}

fn status_reason(
    status: LagStatus,
    statuses: &[(i64, LagStatus)],
    readings: &[(i64, Readings)],
    state: &str,
) -> String {
    let (committed, log_end, lag_before, lag) = moves(readings);
    let n = |v: i64| format::count(v);
    let lag_text = format!("lag {} → {} messages", n(lag_before), n(lag));
    let on = |s| partitions_with(statuses, s);
    match status {
        LagStatus::NeedsSecondRun => "no earlier run read these partitions: the status needs a second run".into(),
        LagStatus::Unknown => {
            let unknown = on(LagStatus::Unknown);
            format!("committed offset or log end not collected on partition(s) {unknown}: the status is unknown")
        }
        LagStatus::Ok if lag <= lag_before => format!("OK: caught up or catching up ({lag_text})"),
        LagStatus::Ok => format!("OK: keeping pace ({lag_text} while {} were written)", n(log_end)),
        LagStatus::Rewind => format!("REWIND: the committed offset went back on partition(s) {}", on(status)),
        LagStatus::Stop => format!(
            "STOP: no commit on partition(s) {} while the log end moved {}; no members (state {state})",
            on(status),
            n(log_end)
        ),
        LagStatus::Stall => {
            format!("STALL: no commit on partition(s) {} with members (state {state}); {lag_text}", on(status))
        }
        LagStatus::Warn => format!(
            "WARN: commits advanced {} but the lag did not fall on partition(s) {} ({lag_text})",
            n(committed),
            on(status)
        ),
    }
}

/// The brokers the capacity analysis flags (over the threshold now, or within `runway_watch_days`) that lead a
/// partition the group lags on.
fn pressured(rows: &[GroupPartitionLag], capacity: &Capacity) -> Vec<i64> {
    let soon = Decimal::from(capacity.runway_watch_days);
    let mut out: Vec<i64> = rows
        .iter()
        .filter(|r| r.committed.zip(r.log_end).is_some_and(|(c, e)| e > c))
        .filter_map(|r| {
            let leader = r.leader?;
            capacity
                .brokers
                .iter()
                .any(|b| b.cluster == r.cluster && b.broker == leader && b.days_to_threshold.is_some_and(|d| d <= soon))
                .then_some(leader)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The partition whose value is at least `factor` × the mean of the others' (and above zero), with its value and
/// that mean; None with fewer than two partitions.
fn outlier(values: &[(i64, i64)], factor: Decimal) -> Option<(i64, i64, Decimal)> {
    if values.len() < 2 {
        return None;
    }
    let (partition, max) = values.iter().copied().max_by_key(|(p, v)| (*v, std::cmp::Reverse(*p)))?;
    let others: i64 = values.iter().map(|(_, v)| *v).sum::<i64>() - max;
    let mean = Decimal::from(others) / Decimal::from(values.len() as i64 - 1);
    (max > 0 && Decimal::from(max) >= mean * factor).then_some((partition, max, mean))
}

/// Skew, from the partitions with both readings: the lag now concentrated in one partition whose lag grew (by at
/// least `growth_share` of what was written to it, as for WARN: a healthy consumer's small lag moves either way), or
/// one partition's log end growing `factor` × the others' (hot keys) while its lag grew so. The partition and why.
fn skew(readings: &[(i64, Readings)], factor: Decimal, growth_share: Decimal) -> Option<(i64, String)> {
    let both: Vec<(i64, i64, i64, i64, i64)> = readings
        .iter()
        .filter_map(|(p, r)| Some((*p, r.committed?, r.log_end?, r.committed_before?, r.log_end_before?)))
        .collect();
    let lags: Vec<(i64, i64)> = both.iter().map(|(p, c1, e1, _, _)| (*p, (e1 - c1).max(0))).collect();
    let grew = |p: i64| {
        both.iter().any(|(q, c1, e1, c0, e0)| {
            let growth = (e1 - c1).max(0) - (e0 - c0).max(0);
            *q == p && growth > 0 && Decimal::from(growth) >= Decimal::from((e1 - e0).max(0)) * growth_share
        })
    };
    let factor_text = factor.normalize();
    if let Some((p, max, mean)) = outlier(&lags, factor).filter(|(p, _, _)| grew(*p)) {
        let total: i64 = lags.iter().map(|(_, l)| l).sum();
        return Some((
            p,
            format!(
                "lag concentrated: partition {p} holds {} of {} messages behind (≥ {factor_text}× the others' mean \
                 of {})",
                format::count(max),
                format::count(total),
                mean.round_dp(1).normalize()
            ),
        ));
    }
    let growth: Vec<(i64, i64)> = both.iter().map(|(p, _, e1, _, e0)| (*p, (e1 - e0).max(0))).collect();
    let (p, max, mean) = outlier(&growth, factor).filter(|(p, _, _)| grew(*p))?;
    Some((
        p,
        format!(
            "uneven writes (hot keys): partition {p}'s log end grew {} since the earlier run (≥ {factor_text}× the \
             others' mean of {})",
            format::count(max),
            mean.round_dp(1).normalize()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(c0: i64, e0: i64, c1: i64, e1: i64) -> Readings {
        Readings { committed: Some(c1), log_end: Some(e1), committed_before: Some(c0), log_end_before: Some(e0) }
    }

    fn status(r: Readings, members: bool) -> LagStatus {
        partition_status(r, members, Decimal::new(1, 2))
    }

    /// Hand cases of Burrow's rules over two readings (committed, log end): before → now.
    #[test]
    fn each_burrow_rule_on_two_readings() {
        // Rule 1: lag 0 at the earlier reading (100 of 100), then 50 behind: OK.
        assert_eq!(status(r(100, 100, 100, 150), false), LagStatus::Ok);
        // Lag 0 now.
        assert_eq!(status(r(10, 100, 200, 200), false), LagStatus::Ok);
        // Rule 2: committed 500 → 400 with lag both times: REWIND, even with members.
        assert_eq!(status(r(500, 600, 400, 700), true), LagStatus::Rewind);
        // Rules 3 and 4: no commit (300 → 300), lag 100 → 400: STOP without members, STALL with.
        assert_eq!(status(r(300, 400, 300, 700), false), LagStatus::Stop);
        assert_eq!(status(r(300, 400, 300, 700), true), LagStatus::Stall);
        // No commit and no writes (lag 100 → 100): still no progress.
        assert_eq!(status(r(300, 400, 300, 400), true), LagStatus::Stall);
        // Rule 5: commits +100 (300 → 400), lag 100 → 300: grew 200, at least 1 % of the 300 written: WARN.
        assert_eq!(status(r(300, 400, 400, 700), true), LagStatus::Warn);
        // Lag 100 → 100 with 100 written: Burrow's "not falling", but it grew 0 < 1 % of 100: keeping pace, OK.
        assert_eq!(status(r(300, 400, 400, 500), true), LagStatus::Ok);
        // Lag 1,000 → 1,050 while 1,000,000 were written (50 < 10,000): noise, OK; 1,000 → 11,000 is WARN.
        assert_eq!(status(r(0, 1_000, 999_000, 1_000_050), true), LagStatus::Ok);
        assert_eq!(status(r(0, 1_000, 990_000, 1_001_000), true), LagStatus::Warn);
        // Commits +300, lag 100 → 50: catching up, OK.
        assert_eq!(status(r(300, 400, 600, 650), true), LagStatus::Ok);
        // No earlier reading; this run's offset unknown.
        let first = Readings { committed: Some(1), log_end: Some(5), committed_before: None, log_end_before: None };
        assert_eq!(status(first, true), LagStatus::NeedsSecondRun);
        let unknown = Readings { committed: None, ..first };
        assert_eq!(status(unknown, true), LagStatus::Unknown);
    }

    #[test]
    fn the_group_takes_its_worst_partition_and_an_unknown_one_beside_ok_ones_is_unknown() {
        use LagStatus::*;
        assert_eq!(group_status(&[(0, Ok), (1, Warn), (2, Stop)]), Stop);
        assert_eq!(group_status(&[(0, Stop), (1, Stall), (2, Rewind)]), Rewind);
        assert_eq!(group_status(&[(0, Ok), (1, Unknown)]), Unknown);
        assert_eq!(group_status(&[(0, Warn), (1, Unknown)]), Warn);
        assert_eq!(group_status(&[(0, NeedsSecondRun), (1, Ok)]), Ok);
        assert_eq!(group_status(&[(0, NeedsSecondRun)]), NeedsSecondRun);
    }

    /// docs/handoff.md lists every rule as the table here has it, in order.
    #[test]
    fn the_docs_list_every_lag_rule_in_order() {
        let doc = include_str!("../../docs/handoff.md");
        let mut at = 0;
        for r in LAG_RULES {
            let row = format!("| `{}` | {} | {} |", r.name, r.when, r.source);
            let found = doc[at..].find(&row).unwrap_or_else(|| panic!("docs/handoff.md lacks, in order: {row}"));
            at += found + row.len();
        }
    }

    #[test]
    fn skew_needs_twice_the_others_mean_and_a_growing_lag() {
        let two = Decimal::TWO;
        // Lags 600, 0, 0: 600 ≥ 2 × 0.
        assert_eq!(outlier(&[(0, 0), (1, 600), (2, 0)], two), Some((1, 600, Decimal::ZERO)));
        // Lags 300, 200, 100: others' mean 150, 300 ≥ 300: skewed at the edge; 290 is not.
        assert_eq!(outlier(&[(0, 300), (1, 200), (2, 100)], two).map(|o| o.0), Some(0));
        assert_eq!(outlier(&[(0, 290), (1, 200), (2, 100)], two), None);
        // One partition, or no lag at all: nothing to compare.
        assert_eq!(outlier(&[(0, 600)], two), None);
        assert_eq!(outlier(&[(0, 0), (1, 0)], two), None);
        // A hot partition whose lag did not grow (600 → 600, others caught up) is not called skew.
        let share = Decimal::new(1, 2);
        let steady = [(0, r(0, 600, 0, 600)), (1, r(0, 10, 10, 10))];
        assert_eq!(skew(&steady, two, share), None);
        // One key: 600 written to partition 0, none read; the others idle and caught up.
        let growing = [(0, r(0, 0, 0, 600)), (1, r(10, 10, 10, 10)), (2, r(5, 5, 5, 5))];
        assert_eq!(skew(&growing, two, share).map(|s| s.0), Some(0));
        // Lags 146 vs the others' mean of 57, but partition 0's grew 40 while 100,000 were written to it (0.04 %
        // < 1 %): a healthy consumer's lag moving, not skew.
        let noise = [(0, r(0, 106, 99_954, 100_100)), (1, r(0, 50, 99_950, 100_007)), (2, r(0, 60, 99_940, 99_997))];
        assert_eq!(skew(&noise, two, share), None);
    }
}
