//! The readiness scorecard: per topic, five dimensions each with `ready` / `watch` / `blocked` and a one-line
//! reason, rolled up per owner (the worst verdict wins). The thresholds are the config's `[readiness]` table
//! (`Rules`, defaults documented there and in docs/handoff.md); the rules themselves are the functions below.

pub use crate::settings::Rules;
use rust_decimal::Decimal;

use super::Topic;
use super::cost::{self, TopicInputs};
use crate::catalog::UNOWNED;
use crate::format;
use strum::IntoEnumIterator;

/// Ordered from best to worst, so the worst of several is their maximum.
pub use crate::report_model::{Dimension, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub dimension: Dimension,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    /// The worst of the checks.
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

impl Scorecard {
    pub fn check(&self, d: Dimension) -> Option<&Check> {
        self.checks.iter().find(|c| c.dimension == d)
    }
}

/// What the scorecard reads besides the topic itself.
pub struct Context<'a> {
    pub escalation: Option<&'a str>,
    /// Sources that were partial or failed this run, by name.
    pub partial_sources: &'a [String],
    /// Whether the topic's cluster has billed cost lines this run.
    pub billed: bool,
}

/// The slowest group reading the topic: its id and how far behind it is in ms (`None`: unknown).
pub fn slowest_group(inputs: &TopicInputs) -> Option<(&str, Option<Decimal>)> {
    let lagging = inputs.groups.iter().filter(|g| g.lag.is_some_and(|l| l > 0));
    let timed: Vec<(&str, Option<Decimal>)> =
        lagging.map(|g| (g.group_id.as_str(), g.lag.and_then(|l| cost::lag_ms(inputs, l)))).collect();
    if let Some(unknown) = timed.iter().find(|(_, ms)| ms.is_none()) {
        return Some(*unknown);
    }
    timed.into_iter().max_by(|a, b| a.1.cmp(&b.1))
}

pub fn score(t: &Topic, inputs: &TopicInputs, ctx: &Context<'_>, rules: &Rules) -> Scorecard {
    let mut checks = vec![ownership(t, ctx), evidence(t, ctx), placement(t, rules), replay(t, inputs, rules)];
    checks.push(migration(t, &checks, rules));
    Scorecard { verdict: checks.iter().map(|c| c.verdict).max().unwrap_or(Verdict::Ready), checks }
}

/// One scorecard rule, as data: its dimension and verdict, and when it fires. docs/handoff.md lists this table (a
/// test holds the two in step, and every rule to the code that fires it).
pub struct ReadinessRule {
    pub id: &'static str,
    pub dimension: Dimension,
    pub verdict: Verdict,
    pub when: &'static str,
}

const fn rule(id: &'static str, dimension: Dimension, verdict: Verdict, when: &'static str) -> ReadinessRule {
    ReadinessRule { id, dimension, verdict, when }
}

use Dimension::{
    Capacity as Cap, Closure as Clo, CostPlacement as Cost, Evidence as Evi, Migration as Mig, Ownership as Own,
    RollbackReplay as Rep, SafeActionBoundary as Safe,
};
use Verdict::{Blocked, Ready, Watch};

/// The scorecard's rules, per dimension in the order they are tried (the first that holds decides).
pub const RULES: &[ReadinessRule] = &[
    rule("ownership-unowned", Own, Blocked, "no catalog rule matches (`unowned`): nobody to route to"),
    rule("ownership-no-escalation", Own, Blocked, "the owner has no escalation contact"),
    rule("ownership-routed", Own, Ready, "a declared owner with an escalation contact (the catalog requires one)"),
    rule("evidence-size", Evi, Blocked, "size on disk not collected"),
    rule("evidence-configs", Evi, Blocked, "topic configs (retention, cleanup) not collected"),
    rule("evidence-partial-source", Evi, Watch, "a source was partial or failed this run"),
    rule("evidence-no-write-rate", Evi, Watch, "no write-rate metric (an internal topic needs none)"),
    rule("evidence-no-bill", Evi, Watch, "no billed cost for its cluster this run: modelled cost only"),
    rule("evidence-collected", Evi, Ready, "sizes, configs, lag, write rate and bill collected this run"),
    rule("safe-action-none", Safe, Ready, "no action proposed on it"),
    rule(
        "safe-action-no-approver",
        Safe,
        Blocked,
        "an action has no named approver (each of a joint one a catalog owner)",
    ),
    rule(
        "safe-action-defaults",
        Safe,
        Watch,
        "its actions' boundaries and rollbacks are the tool's defaults, unconfirmed",
    ),
    rule("placement-incomplete", Cost, Watch, "today's cost is incomplete: placements cannot be compared"),
    rule("placement-cross-az", Cost, Watch, "cross-AZ transfer is at least `cross_az_share_watch` of today's cost"),
    rule("placement-cheaper", Cost, Watch, "another placement saves at least `min_saving_usd` a month"),
    rule("placement-cheapest", Cost, Ready, "today's placement is within `min_saving_usd` of the cheapest"),
    rule("replay-compacted", Rep, Ready, "compact-only: a replay restores the latest value per key"),
    rule("replay-retention-unknown", Rep, Watch, "retention unknown"),
    rule("replay-unlimited", Rep, Ready, "unlimited retention"),
    rule("replay-nobody-behind", Rep, Ready, "no consumer group is behind"),
    rule("replay-lag-time-unknown", Rep, Watch, "the slowest group's lag in time is unknown"),
    rule(
        "replay-losing-data",
        Rep,
        Blocked,
        "the slowest group is at or beyond retention (within 1 %): it is losing data",
    ),
    rule("replay-thin-margin", Rep, Watch, "retention is less than `replay_margin` × the slowest group's lag"),
    rule("replay-covered", Rep, Ready, "retention covers the slowest group's lag `replay_margin` times or more"),
    rule("closure-none", Clo, Ready, "no open gap in the ledger"),
    rule("closure-open", Clo, Watch, "a gap is open, fewer than `[closure] watch_runs` runs"),
    rule("closure-aged", Clo, Blocked, "a gap is open `[closure] watch_runs` runs or more, or was reopened"),
    rule("migration-blocked", Mig, Blocked, "ownership, evidence or rollback & replay (any but placement) is blocked"),
    rule("migration-incomplete", Mig, Watch, "shared-storage or today's cost incomplete"),
    rule("migration-small", Mig, Watch, "shared storage saves under `min_saving_usd` a month"),
    rule("migration-ready", Mig, Ready, "shared storage saves at least `min_saving_usd` and nothing else is watched"),
    rule("migration-waiting", Mig, Watch, "shared storage saves, once the dimensions at watch clear"),
    rule("capacity-over", Cap, Blocked, "a broker holding its bytes is over `[capacity] disk_threshold` now"),
    rule("capacity-soon", Cap, Watch, "one crosses it within `runway_watch_days`"),
    rule("capacity-unknown", Cap, Watch, "one's runway is unknown (never taken as room)"),
    rule("capacity-room", Cap, Ready, "every broker holding its bytes stays under it beyond `runway_watch_days`"),
];

/// The check rule `id` gives, with its reason: the dimension and verdict are the rule's.
pub fn by(id: &'static str, reason: impl Into<String>) -> Check {
    let r = RULES.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no readiness rule `{id}`"));
    Check { dimension: r.dimension, verdict: r.verdict, reason: reason.into() }
}

fn ownership(t: &Topic, ctx: &Context<'_>) -> Check {
    match (t.owner.as_str(), ctx.escalation.filter(|e| !e.trim().is_empty())) {
        (UNOWNED, _) => by("ownership-unowned", "no catalog rule matches: nobody to route to"),
        (owner, None) => by("ownership-no-escalation", format!("owner `{owner}` has no escalation contact")),
        (owner, Some(esc)) => by("ownership-routed", format!("owner `{owner}`, escalation {esc}")),
    }
}

fn evidence(t: &Topic, ctx: &Context<'_>) -> Check {
    if t.retained_bytes.is_none() {
        return by(
            "evidence-size",
            format!("size on disk not collected for {} partition(s)", t.partitions_size_unknown),
        );
    }
    if t.retention_ms.is_none() || t.cleanup_policy.is_none() {
        return by("evidence-configs", "topic configs (retention, cleanup) not collected");
    }
    if !ctx.partial_sources.is_empty() {
        return by(
            "evidence-partial-source",
            format!("partial or failed this run: {}", ctx.partial_sources.join(", ")),
        );
    }
    // An internal topic needs none: its traffic is the brokers' own (docs/cost-model.md).
    if t.bytes_in_per_sec.is_none() && !t.is_internal {
        return by("evidence-no-write-rate", "no write-rate metric: traffic, compute and lag in time unknown");
    }
    if !ctx.billed {
        return by("evidence-no-bill", "no billed cost for its cluster this run: modelled cost only");
    }
    by("evidence-collected", "sizes, configs, lag, write rate and bill collected this run")
}

fn placement(t: &Topic, rules: &Rules) -> Check {
    let today = t.current_cost();
    let Some(choice) = &t.choice else {
        return by("placement-incomplete", "cost incomplete: cannot compare placements");
    };
    let cross: Decimal = today.components.iter().filter(|c| c.name.is_inter_az()).map(|c| c.monthly_usd).sum();
    let share = if today.monthly_usd.is_zero() { Decimal::ZERO } else { cross / today.monthly_usd };
    let cross_text = format!("cross-AZ {} of {}/month", format::percent(share), format::usd(today.monthly_usd));
    if share >= rules.cross_az_share_watch {
        return by("placement-cross-az", cross_text);
    }
    if choice.cheapest != t.current && choice.saving_usd >= rules.min_saving_usd {
        let saving = format::usd(choice.saving_usd);
        return by("placement-cheaper", format!("{cross_text}; {} would save {saving}/month", choice.cheapest.label()));
    }
    by(
        "placement-cheapest",
        format!("{cross_text}; today's placement is within {} of the cheapest", format::usd(rules.min_saving_usd)),
    )
}

fn replay(t: &Topic, inputs: &TopicInputs, rules: &Rules) -> Check {
    // Compact-only: nothing is deleted by age, and a replay restores the latest value per key. `compact,delete`
    // deletes by retention too, so its groups are held to it as on a delete topic.
    if inputs.compacted && !inputs.deletes {
        return by("replay-compacted", "compacted: a replay restores the latest value per key, not history");
    }
    let Some(retention) = t.retention_ms else {
        return by("replay-retention-unknown", "retention unknown");
    };
    if retention < 0 {
        return by("replay-unlimited", "unlimited retention");
    }
    let Some((group, behind)) = slowest_group(inputs) else {
        return by(
            "replay-nobody-behind",
            format!("retention {}; no consumer group is behind", format::retention_ms(retention)),
        );
    };
    let Some(behind) = behind else {
        let why = if inputs.compacted && inputs.messages_in_per_sec.is_none() {
            "compaction leaves gaps in its offsets, and no MessagesInPerSec says how many records that is"
        } else {
            "no write rate"
        };
        return by("replay-lag-time-unknown", format!("group `{group}` is behind by an unknown time ({why})"));
    };
    let behind_text = format::duration_ms(cost::whole(behind));
    let retention_d = Decimal::from(retention);
    // Within 1 % of the retention a group reads the oldest records kept: what retention deletes next.
    if behind >= retention_d * Decimal::new(99, 2) {
        return by(
            "replay-losing-data",
            format!(
                "group `{group}` is {behind_text} behind, at or beyond the {} retention: it is losing data",
                format::retention_ms(retention)
            ),
        );
    }
    if behind * rules.replay_margin > retention_d {
        return by(
            "replay-thin-margin",
            format!(
                "group `{group}` is {behind_text} behind; {} retention covers it less than {}×",
                format::retention_ms(retention),
                rules.replay_margin.normalize()
            ),
        );
    }
    by(
        "replay-covered",
        format!(
            "{} retention covers the slowest group (`{group}`, {behind_text} behind) {}× or more",
            format::retention_ms(retention),
            rules.replay_margin.normalize()
        ),
    )
}

fn migration(t: &Topic, checks: &[Check], rules: &Rules) -> Check {
    let blockers: Vec<&str> = checks
        .iter()
        .filter(|c| c.verdict == Verdict::Blocked && c.dimension != Dimension::CostPlacement)
        .map(|c| c.dimension.label())
        .collect();
    if !blockers.is_empty() {
        return by("migration-blocked", format!("blocked by {}", blockers.join(", ")));
    }
    let today = t.current_cost();
    if !t.shared_storage.missing.is_empty() || !today.missing.is_empty() {
        return by("migration-incomplete", "shared-storage or today's cost incomplete");
    }
    let saving = today.monthly_usd - t.shared_storage.monthly_usd;
    if saving < rules.min_saving_usd {
        return by(
            "migration-small",
            format!(
                "shared storage would save {}/month (under {})",
                format::usd(saving),
                format::usd(rules.min_saving_usd)
            ),
        );
    }
    let watching: Vec<&str> = checks
        .iter()
        .filter(|c| c.verdict == Verdict::Watch && c.dimension != Dimension::CostPlacement)
        .map(|c| c.dimension.label())
        .collect();
    let saves = format!("saves {}/month on shared storage", format::usd(saving));
    if watching.is_empty() {
        by("migration-ready", saves)
    } else {
        by("migration-waiting", format!("{saves} once {} clear", watching.join(", ")))
    }
}

/// An owner's scorecard: per dimension the worst verdict of their topics, with how many are blocked or watched
/// and the first such topic's reason.
pub fn roll_up(cards: &[(&str, &Scorecard)]) -> Scorecard {
    // Only the dimensions a topic is scored on; an owner's own (capacity) is added beside them.
    let checks: Vec<Check> = Dimension::iter()
        .filter(|d| cards.iter().any(|(_, c)| c.check(*d).is_some()))
        .map(|d| {
            let of_d: Vec<(&str, &Check)> = cards.iter().filter_map(|(t, c)| c.check(d).map(|c| (*t, c))).collect();
            let worst = of_d.iter().map(|(_, c)| c.verdict).max().unwrap_or(Verdict::Ready);
            let count = |v: Verdict| of_d.iter().filter(|(_, c)| c.verdict == v).count();
            let reason = match of_d.iter().find(|(_, c)| c.verdict == worst) {
                Some((topic, c)) if worst != Verdict::Ready => format!(
                    "{} blocked, {} watch of {} topics; e.g. {topic}: {}",
                    count(Verdict::Blocked),
                    count(Verdict::Watch),
                    of_d.len(),
                    c.reason
                ),
                _ => format!("all {} topics ready", of_d.len()),
            };
            Check { dimension: d, verdict: worst, reason }
        })
        .collect();
    Scorecard { verdict: checks.iter().map(|c| c.verdict).max().unwrap_or(Verdict::Ready), checks }
}

/// An owner's capacity: the brokers holding its bytes against the disk threshold. `blocked` when one is over it now,
/// `watch` when one crosses within `watch_days` or one's runway is unknown (never taken as room), else `ready`. None
/// when no broker holds its bytes (or none is known).
pub fn capacity(owner: &str, brokers: &[crate::report_model::BrokerCapacity], watch_days: i64) -> Option<Check> {
    let mine: Vec<&crate::report_model::BrokerCapacity> =
        brokers.iter().filter(|b| b.owners.iter().any(|o| o.owner == owner && o.bytes > 0)).collect();
    if mine.is_empty() {
        return None;
    }
    let name = |b: &crate::report_model::BrokerCapacity| format!("broker {} of {}", b.broker, b.cluster);
    let check = |id: &'static str, reason: String| Some(by(id, reason));
    if let Some(b) = mine.iter().find(|b| b.days_to_threshold.is_some_and(|d| d.is_zero())) {
        return check("capacity-over", format!("{} is over the disk threshold now and holds its topics", name(b)));
    }
    let soon = Decimal::from(watch_days);
    if let Some(b) =
        mine.iter().filter(|b| b.days_to_threshold.is_some_and(|d| d <= soon)).min_by_key(|b| b.days_to_threshold)
    {
        let days = b.days_to_threshold.unwrap_or_default().normalize();
        return check(
            "capacity-soon",
            format!("{} holds its topics and crosses the disk threshold in {days} days", name(b)),
        );
    }
    if let Some(b) = mine.iter().find(|b| b.days_to_threshold.is_none() && b.runway_basis.starts_with("unknown")) {
        return check("capacity-unknown", format!("{}'s runway is {}", name(b), b.runway_basis));
    }
    check(
        "capacity-room",
        format!(
            "the {} broker(s) holding its topics stay under the disk threshold beyond {watch_days} days",
            mine.len()
        ),
    )
}

/// Safe action boundary over the actions given (a topic's, or every action in an owner's pack): each carries its
/// boundary and rollback (`actions::BOUNDARIES`, a rollback for every kind). `blocked` when one has no named
/// approver (none of the catalog's owners); `watch` while the boundaries are only the tool's defaults, which nobody has confirmed
/// (docs/handoff.md); `ready` with no action proposed.
pub fn safe_action(actions: &[&super::actions::Action], owners: &[crate::settings::OwnerContact]) -> Check {
    if actions.is_empty() {
        return by("safe-action-none", "no action proposed: nothing to take");
    }
    // A joint approval (`orders and platform`) needs each of them named.
    let named = |who: &str| who.split(" and ").all(|w| owners.iter().any(|o| o.owner == w.trim()));
    if let Some(a) = actions.iter().find(|a| !named(&a.approver)) {
        let why = format!("`{}` has no named approver (`{}` is no catalog owner)", a.kind.label(), a.approver);
        return by("safe-action-no-approver", why);
    }
    let kinds: std::collections::BTreeSet<&str> =
        actions.iter().map(|a| super::actions::boundary(a.kind).0.label()).collect();
    by(
        "safe-action-defaults",
        format!(
            "{} action(s), {}: approvers named, boundaries and rollbacks the tool's defaults, not yet confirmed",
            actions.len(),
            kinds.into_iter().collect::<Vec<_>>().join(", ")
        ),
    )
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    /// Every rule is fired somewhere in the code, no rule is named twice, and docs/handoff.md lists them in order.
    #[test]
    fn the_rules_are_fired_by_the_code_and_listed_in_the_docs_in_order() {
        let code = [include_str!("readiness.rs"), include_str!("ledger.rs")].concat();
        let doc = include_str!("../../docs/handoff.md");
        let mut at = 0;
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[..i].iter().all(|o| o.id != r.id), "`{}` twice", r.id);
            let fired = format!("\"{}\"", r.id);
            assert!(code.matches(&fired).count() >= 2, "`{}` is in RULES but nothing fires it", r.id);
            let row = format!("| `{}` | {} | {} | {} |", r.id, r.dimension.label(), r.verdict.key(), r.when);
            let found = doc[at..].find(&row).unwrap_or_else(|| panic!("docs/handoff.md lacks, in order: {row}"));
            at += found + row.len();
        }
    }
}
