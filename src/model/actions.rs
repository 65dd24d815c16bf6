//! Proposed next actions with their monthly saving, from documented rules (docs/handoff.md) and the `[readiness]`
//! thresholds. Each saving is computed alone, by pricing the changed topic with the same formulas and prices; the
//! savings of different actions on one topic overlap and are not to be added up.

use rust_decimal::Decimal;

use super::Priced;
use super::assumptions::Assumptions;
use super::choice::Scenario;
use super::cost::{self, CostBreakdown, TopicInputs};
use super::readiness::{Rules, slowest_group};
use super::sizing;
use crate::catalog::UNOWNED;
use crate::format;
use crate::prices::PriceBook;

pub use crate::report_model::{ActionBoundary, ActionKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    /// The owner whose pack carries the action (the topic's owner; the platform owner for cluster-level actions).
    pub owner: String,
    pub cluster: String,
    pub topic: Option<String>,
    /// What to do, in one line.
    pub summary: String,
    /// Why: the rule and the figures it fired on.
    pub evidence: String,
    pub monthly_saving_usd: Decimal,
    /// A placement change's saving split: right-sizing today's cluster (no migration), and the architecture.
    pub right_size_saving_usd: Option<Decimal>,
    pub architecture_saving_usd: Option<Decimal>,
    /// Who can approve it: the topic's owner, or the platform owner for broker and volume changes.
    pub approver: String,
    /// Broker disk the action frees, GiB over every replica, and per broker (largest first; empty when the brokers
    /// are not known). None when it frees none.
    pub disk_freed_gib: Option<Decimal>,
    pub disk_freed: Vec<(i64, Decimal)>,
    /// What shows on the bill only once a follow-up is taken too (disk freed on provisioned volumes is billed until
    /// the volumes shrink). Not part of `monthly_saving_usd`.
    pub follow_up: Option<FollowUp>,
    /// Disk an action adds (GiB over every broker it grows) and what that costs a month; None for the others.
    pub disk_added_gib: Option<Decimal>,
    pub monthly_cost_usd: Option<Decimal>,
    /// The day it must be done by (`YYYY-MM-DD`), when it has one.
    pub due_by: Option<String>,
}

pub use crate::report_model::FollowUp;

/// The topic's today cost after a change to its inputs (its placement unchanged).
fn today_after(p: &Priced, changed: &TopicInputs, a: &Assumptions, prices: &PriceBook) -> Option<CostBreakdown> {
    let cost = match p.topic.current {
        Scenario::TieredStorage => cost::tiered_storage(changed, &p.cluster, a, prices).ok()?,
        _ => cost::broker_local(changed, &p.cluster, a, prices),
    };
    cost.missing.is_empty().then_some(cost)
}

/// Read-rate points (days, for daily CloudWatch points) a topic must have been unread at, at every one, to be
/// proposed for deletion or archiving.
pub const UNUSED_MIN_POINTS: i64 = 7;

pub(crate) fn for_topic(p: &Priced, a: &Assumptions, prices: &PriceBook, rules: &Rules, platform: &str) -> Vec<Action> {
    let t = &p.topic;
    // Kafka and MSK manage their internal topics (`__consumer_offsets`, `__amazon_msk_canary`, …): the platform
    // pays for them, and no owner, retention or placement change may target them.
    if t.is_internal {
        return Vec::new();
    }
    let today = t.current_cost();
    let mut out = Vec::new();
    // The topic's owner carries it; `approver` approves it.
    let action = |kind, summary: String, evidence: String, saving: Decimal, approver: &str| Action {
        owner: t.owner.clone(),
        topic: Some(t.topic.clone()),
        ..cluster_action(kind, &t.cluster, summary, evidence, saving.round_dp(2), approver)
    };

    if t.owner == UNOWNED && today.monthly_usd > Decimal::ZERO {
        out.push(action(
            ActionKind::AssignOwner,
            "assign an owner in the catalog".into(),
            format!(
                "{}/month with nobody to route it to",
                format::known_usd(today.missing.is_empty().then_some(today.monthly_usd))
            ),
            Decimal::ZERO,
            platform,
        ));
    }
    // Nothing read it: deleting (or archiving) it saves its whole cost, and nothing else is worth proposing for it.
    if let Some((evidence, saving)) = unused(p, rules) {
        let approver = if t.owner == UNOWNED { platform } else { t.owner.as_str() };
        out.push(action(
            ActionKind::RetireUnusedTopic,
            "delete the topic, or archive it first (export, or tiered storage with a short local window)".into(),
            evidence,
            saving,
            approver,
        ));
        return out;
    }
    if let Some(cut) = shorten_retention(p, a, prices, rules) {
        out.push(Action {
            disk_freed_gib: Some(cut.freed_gib.round_dp(2)),
            disk_freed: cut.per_broker.iter().map(|(b, g)| (*b, g.round_dp(2))).collect(),
            follow_up: Some(FollowUp {
                kind: ActionKind::ShrinkVolumes,
                saving_usd: Some(cut.disk_usd.round_dp(2)),
                note: PROVISIONED.to_string(),
            }),
            ..action(ActionKind::ShortenRetention, cut.summary, cut.evidence, cut.saving, &t.owner)
        });
    }
    if let Some(a_) = fetch_from_follower(p, a, prices, rules) {
        out.push(action(ActionKind::EnableFetchFromFollower, a_.0, a_.1, a_.2, platform));
    }
    if let Some((kind, summary, evidence, saving, split)) = move_placement(p, rules) {
        let approver = if t.owner == platform || t.owner == UNOWNED {
            platform.to_string()
        } else {
            format!("{} and {platform}", t.owner)
        };
        out.push(Action {
            right_size_saving_usd: split.map(|s| s.0.round_dp(2)),
            architecture_saving_usd: split.map(|s| saving.round_dp(2) - s.0.round_dp(2)),
            ..action(kind, summary, evidence, saving, &approver)
        });
    }
    out
}

/// A placement cheaper than today's by enough: the kind, summary, evidence, saving, and the saving split like for
/// like into right-sizing today's cluster (no migration) and the move itself (when the right-sized cost is known).
type Move = (ActionKind, String, String, Decimal, Option<(Decimal, Decimal)>);

fn move_placement(p: &Priced, rules: &Rules) -> Option<Move> {
    let t = &p.topic;
    let today = t.current_cost();
    let choice = t.choice.as_ref()?;
    if choice.cheapest == t.current
        || choice.saving_usd < rules.min_saving_usd
        || choice.saving_usd < today.monthly_usd * rules.migration_saving_share
    {
        return None;
    }
    let (kind, to) = match choice.cheapest {
        Scenario::SharedStorage => (ActionKind::MigrateToSharedStorage, "shared storage"),
        Scenario::Express => (ActionKind::MigrateToExpress, "MSK Express brokers"),
        Scenario::TieredStorage => (ActionKind::MoveToTieredStorage, "tiered storage"),
        Scenario::BrokerLocal => (ActionKind::MoveToBrokerLocal, "broker-local disk"),
    };
    let after = today.monthly_usd - choice.saving_usd;
    // Only from broker-local today: a topic tiered today has no right-sized broker-local "today" to split by.
    let sized = t.right_sized_monthly_usd.filter(|_| t.current == Scenario::BrokerLocal);
    let split = sized.map(|sized| (today.monthly_usd - sized, sized - after));
    let mut evidence = format!(
        "{}/month today vs {} on {to} (saves {} of today's cost)",
        format::usd(today.monthly_usd),
        format::usd(after),
        format::percent(choice.saving_usd / today.monthly_usd)
    );
    if let Some((right_size, architecture)) = split {
        evidence.push_str(&format!(
            "; of that, right-sizing today's cluster with no migration saves {} and the move to {to} {}",
            format::usd(right_size),
            format::usd(architecture)
        ));
    }
    Some((kind, format!("candidate for {to}"), evidence, choice.saving_usd, split))
}

/// Why disk freed on broker volumes is not a saving by itself.
const PROVISIONED: &str = "broker storage is billed as provisioned, and neither MSK nor EBS shrinks a volume in \
                           place: the freed disk shows on the bill once the volumes are sized down to it (new \
                           brokers or a migration target on MSK, smaller volumes on EC2)";

/// A retention cut: what to do and why, the saving the bill shows, the disk it frees and that disk's worth.
struct RetentionCut {
    summary: String,
    evidence: String,
    /// Today's cost less the cost after, with the provisioned broker disk held at today's (billed as provisioned).
    saving: Decimal,
    /// The broker disk's part of the cost, freed (storage and headroom): shown only once volumes shrink.
    disk_usd: Decimal,
    freed_gib: Decimal,
    per_broker: Vec<(i64, Decimal)>,
}

/// The provisioned broker disk in a cost: retained storage and headroom on the brokers' volumes.
fn provisioned(cost: &CostBreakdown) -> Decimal {
    use crate::report_model::Component;
    cost.components
        .iter()
        .filter(|c| matches!(c.name, Component::RetainedStorage | Component::DiskHeadroom))
        .map(|c| c.monthly_usd)
        .sum()
}

/// Retention far above what replay needs: shorten it to the slowest group's lag × margin (at least the minimum).
fn shorten_retention(p: &Priced, a: &Assumptions, prices: &PriceBook, rules: &Rules) -> Option<RetentionCut> {
    let (t, inputs) = (&p.topic, &p.inputs);
    let retention = Decimal::from(t.retention_ms.filter(|r| *r > 0)?);
    if inputs.compacted {
        return None;
    }
    let floor = rules.min_retention_hours * Decimal::from(3_600_000);
    let (mut needed, mut why) = match slowest_group(inputs) {
        None => (floor, "no consumer group is behind".to_string()),
        Some((_, None)) => return None,
        Some((group, Some(behind))) => {
            let need = (behind * rules.replay_margin).max(floor);
            (need, format!("slowest group `{group}` is {} behind", format::duration_ms(cost::whole(behind))))
        }
    };
    // A replay or backfill seen in the window needs its depth kept, with the same margin.
    if let Some(replay) = p.reads.as_ref().and_then(|r| r.replay.as_ref()) {
        why = format!(
            "{why}; on {} a re-read took {} of writes over the usual reads",
            replay.at.format("%Y-%m-%d"),
            format::duration_ms(cost::whole(replay.depth_ms))
        );
        needed = needed.max(replay.depth_ms * rules.replay_margin);
    }
    if retention < needed * rules.retention_excess_factor {
        return None;
    }
    // Round up to whole hours.
    let hour = Decimal::from(3_600_000);
    let proposed = (needed / hour).ceil() * hour;
    let factor = proposed / retention;
    let after = today_after(p, &inputs.with_retention_factor(factor), a, prices)?;
    let today = t.current_cost();
    let disk_usd = provisioned(today) - provisioned(&after);
    let saving = (today.monthly_usd - provisioned(today)) - (after.monthly_usd - provisioned(&after));
    if saving < rules.min_saving_usd && disk_usd < rules.min_saving_usd {
        return None;
    }
    let per_broker: Vec<(i64, Decimal)> =
        inputs.disk_freed(factor).unwrap_or_default().into_iter().map(|(b, bytes)| (b, bytes / cost::GIB)).collect();
    let rf = Decimal::from(inputs.replication_factor.max(1));
    let freed_gib = inputs.partition_freed(factor)?.iter().sum::<Decimal>() * rf / cost::GIB;
    let mut evidence = format!(
        "{why}; {}× margin, at least {} h: retention is {}× what replay needs",
        rules.replay_margin.normalize(),
        rules.min_retention_hours.normalize(),
        (retention / needed).round_dp(1).normalize()
    );
    if freed_gib > Decimal::ZERO {
        let most: Vec<String> = per_broker
            .iter()
            .take(3)
            .map(|(b, g)| format!("broker {b} {} GiB", format::quantity(g.round_dp(1))))
            .collect();
        evidence.push_str(&format!(
            "; frees {} GiB of broker disk{}",
            format::quantity(freed_gib.round_dp(1)),
            if most.is_empty() { String::new() } else { format!(" ({})", most.join(", ")) },
        ));
    }
    let frees = frees_on(freed_gib, &per_broker);
    Some(RetentionCut {
        summary: format!(
            "shorten retention from {} to {}{frees}",
            format::retention_ms(cost::whole(retention)),
            format::retention_ms(cost::whole(proposed))
        ),
        evidence,
        saving: saving.max(Decimal::ZERO),
        disk_usd,
        freed_gib,
        per_broker,
    })
}

/// `: frees X GiB on brokers 1, 2, …` for a cut's summary; empty when it frees nothing known.
fn frees_on(freed_gib: Decimal, per_broker: &[(i64, Decimal)]) -> String {
    if freed_gib <= Decimal::ZERO || per_broker.is_empty() {
        return String::new();
    }
    let mut brokers: Vec<i64> = per_broker.iter().map(|(b, _)| *b).collect();
    brokers.sort_unstable();
    let list: Vec<String> = brokers.iter().map(i64::to_string).collect();
    format!(": frees {} GiB on brokers {}", format::quantity(freed_gib.round_dp(1)), list.join(", "))
}

/// A topic nothing read at any of its read-rate points (at least [`UNUSED_MIN_POINTS`]), with no consumer group that
/// has members: the evidence, and its whole cost today as the saving (when known and worth an action).
fn unused(p: &Priced, rules: &Rules) -> Option<(String, Decimal)> {
    let (t, inputs) = (&p.topic, &p.inputs);
    let reads = p.reads.as_ref()?;
    if t.is_internal || !reads.unread(UNUSED_MIN_POINTS) || inputs.groups.iter().any(|g| g.active) {
        return None;
    }
    let today = t.current_cost();
    if !today.missing.is_empty() || today.monthly_usd < rules.min_saving_usd {
        return None;
    }
    let writes = match inputs.bytes_in_per_sec {
        Some(rate) if rate > 0.0 => format!("still written at {}", format::rate(Some(rate))),
        Some(_) => "no writes either".to_string(),
        None => "writes unknown (no write-rate metric)".to_string(),
    };
    let groups = if inputs.groups.is_empty() {
        "no consumer group".to_string()
    } else {
        let each: Vec<String> = inputs
            .groups
            .iter()
            .map(|g| match g.lag.and_then(|l| cost::lag_ms(inputs, l)) {
                Some(ms) => format!("`{}` (no members, {} behind)", g.group_id, format::duration_ms(cost::whole(ms))),
                None => format!("`{}` (no members)", g.group_id),
            })
            .collect();
        format!("consumer groups without members: {}", each.join(", "))
    };
    let evidence =
        format!("no reads at any of {} read-rate points (BytesOutPerSec 0); {writes}; {groups}", reads.points);
    Some((evidence, today.monthly_usd))
}

/// Consumers reading across zones: with fetch-from-follower (KIP-392) each reads a replica in its own zone.
fn fetch_from_follower(
    p: &Priced,
    a: &Assumptions,
    prices: &PriceBook,
    rules: &Rules,
) -> Option<(String, String, Decimal)> {
    let inputs = &p.inputs;
    let reading_across: Vec<&str> = inputs
        .groups
        .iter()
        .filter(|g| g.reads > Decimal::ZERO && !g.fetch_from_follower.unwrap_or(a.fetch_from_follower))
        .map(|g| g.group_id.as_str())
        .collect();
    if reading_across.is_empty() {
        return None;
    }
    let mut changed = inputs.clone();
    for g in &mut changed.groups {
        g.fetch_from_follower = Some(true);
    }
    let after = today_after(p, &changed, a, prices)?;
    let saving = p.topic.current_cost().monthly_usd - after.monthly_usd;
    (saving >= rules.min_saving_usd).then(|| {
        (
            "enable fetch-from-follower (broker `replica.selector.class`, consumers' `client.rack`)".to_string(),
            format!(
                "{} group(s) read from leaders in other zones: {}",
                reading_across.len(),
                reading_across.join(", ")
            ),
            saving,
        )
    })
}

/// A cluster's broker volumes, as the volume actions see them.
pub(crate) struct Volumes<'a> {
    pub cluster: &'a str,
    /// MSK: one volume size for every broker, and no shrinking in place.
    pub msk: bool,
    pub brokers: i64,
    /// Bytes each broker holds (None = unknown).
    pub held: &'a [(i64, Option<i64>)],
    /// Storage provisioned as the bill shows it, GiB-months per month.
    pub billed_gib: Option<Decimal>,
    /// The storage price per GiB-month.
    pub price: Option<Decimal>,
    pub target_utilization: Decimal,
}

impl Volumes<'_> {
    /// The disk the volumes need once `freed` bytes (per broker) are gone.
    fn need(&self, freed: &std::collections::BTreeMap<i64, Decimal>) -> sizing::DiskNeed {
        let held: Vec<(i64, Option<i64>)> = self
            .held
            .iter()
            .map(|(b, bytes)| {
                let gone = freed.get(b).copied().unwrap_or_default();
                (*b, bytes.map(|v| cost::whole((Decimal::from(v) - gone).max(Decimal::ZERO))))
            })
            .collect();
        sizing::disk_need(&held, self.brokers, self.msk, self.target_utilization)
    }
}

/// The cluster's volume actions: shrink provisioned storage to what the bytes on the brokers need (the fullest
/// broker's on MSK), and, on each of the cluster's retention cuts, what the disk it frees is worth once the
/// volumes shrink: the need before less the need after (never more than the bill holds above it).
pub(crate) fn volume_actions(v: &Volumes<'_>, actions: &mut Vec<Action>, rules: &Rules, platform: &str) {
    let today = v.need(&Default::default());
    let (all_freed, cuts) = follow_ups(v, &today, actions);
    let (Some(billed), Some(need), Some(price)) = (v.billed_gib, today.gib, v.price) else { return };
    let saving = ((billed - need) * price).round_dp(2);
    if saving < rules.min_saving_usd || billed - need < billed * rules.headroom_excess_share {
        return;
    }
    let how = if v.msk {
        "MSK cannot shrink a volume in place: size new brokers (or a migration target) to it"
    } else {
        "move to smaller volumes (EBS cannot shrink one in place)"
    };
    let fullest =
        today.fullest.map(|(b, g)| format!("broker {b} holds the most, {} GiB", format::quantity(g.round_dp(1))));
    let rule = match (v.msk, fullest) {
        (true, Some(f)) => format!(
            "{f}, and MSK gives every broker the same volume: {} GiB ÷ {} × {} brokers",
            format::quantity(today.fullest.map(|f| f.1).unwrap_or_default().round_dp(1)),
            v.target_utilization.normalize(),
            v.brokers
        ),
        (false, Some(f)) => format!("each broker's bytes ÷ {}, summed; {f}", v.target_utilization.normalize()),
        (_, None) => "no broker holds a byte".to_string(),
    };
    let mut evidence = format!(
        "billed {} GiB of broker storage a month; the bytes on the brokers need {} GiB ({rule}): {} GiB ({}) above",
        format::quantity(billed.round_dp(0)),
        format::quantity(need.round_dp(0)),
        format::quantity((billed - need).round_dp(0)),
        format::percent((billed - need) / billed)
    );
    if cuts > 0
        && let Some(after) = v.need(&all_freed).gib.filter(|after| *after < need)
    {
        evidence.push_str(&format!(
            "; with the {cuts} retention cut(s) proposed on this cluster, the need falls to {} GiB: {}/month more",
            format::quantity(after.round_dp(0)),
            format::usd(((need - after) * price).round_dp(2))
        ));
    }
    let summary =
        format!("shrink provisioned broker storage to what the bytes on it need at the target utilisation; {how}");
    actions.push(cluster_action(ActionKind::ShrinkVolumes, v.cluster, summary, evidence, saving, platform));
}

/// An action on a whole cluster, carried and approved by `platform` (a topic's action sets its owner and topic
/// over it).
pub(crate) fn cluster_action(
    kind: ActionKind,
    cluster: &str,
    summary: String,
    evidence: String,
    saving: Decimal,
    platform: &str,
) -> Action {
    Action {
        kind,
        owner: platform.to_string(),
        cluster: cluster.to_string(),
        topic: None,
        summary,
        evidence,
        monthly_saving_usd: saving,
        right_size_saving_usd: None,
        architecture_saving_usd: None,
        approver: platform.to_string(),
        disk_freed_gib: None,
        disk_freed: Vec::new(),
        follow_up: None,
        disk_added_gib: None,
        monthly_cost_usd: None,
        due_by: None,
    }
}

/// Sets each of the cluster's retention cuts' follow-up: what the disk it frees is worth once the volumes shrink
/// (the need before less the need after, never more than the bill holds above it). Returns the bytes all of them
/// free per broker, and how many there are.
fn follow_ups(
    v: &Volumes<'_>,
    today: &sizing::DiskNeed,
    actions: &mut [Action],
) -> (std::collections::BTreeMap<i64, Decimal>, usize) {
    // What is provisioned: the bill's, else taken to be what the bytes need.
    let provisioned = v.billed_gib.or(today.gib);
    let after_shrink = provisioned.zip(today.gib).map(|(p, n)| p.min(n));
    let mut all_freed: std::collections::BTreeMap<i64, Decimal> = Default::default();
    let mut cuts = 0;
    for a in actions.iter_mut().filter(|a| a.cluster == v.cluster && a.kind == ActionKind::ShortenRetention) {
        let freed: std::collections::BTreeMap<i64, Decimal> =
            a.disk_freed.iter().map(|(b, g)| (*b, *g * cost::GIB)).collect();
        for (b, bytes) in &freed {
            *all_freed.entry(*b).or_default() += bytes;
        }
        cuts += 1;
        let worth = match (after_shrink, v.need(&freed).gib, v.price, freed.is_empty()) {
            (_, _, _, true) => a.follow_up.as_ref().and_then(|f| f.saving_usd),
            (Some(base), Some(after), Some(price), false) => {
                Some(((base - after).max(Decimal::ZERO) * price).round_dp(2))
            }
            _ => None,
        };
        if let Some(f) = &mut a.follow_up {
            f.saving_usd = worth;
        }
        a.evidence.push_str(&format!(
            "; the bill shows {}/month of it only once the volumes shrink to fit (storage is billed as provisioned)",
            format::known_usd(worth)
        ));
    }
    (all_freed, cuts)
}

/// A self-managed cluster on gp2 volumes: the same volumes as gp3, changed in place (EBS Elastic Volumes change a
/// volume's type while it is in use). The saving is its topics' cost today less their cost priced on gp3 (the
/// storage at gp3's price, plus any throughput and IOPS the writes need above gp3's baseline); None unless every
/// topic's cost is known both ways.
pub(crate) fn gp3_volumes(
    cluster: &str,
    topics: &[&Priced],
    prices: &PriceBook,
    a: &Assumptions,
    platform: &str,
) -> Option<Action> {
    use crate::settings::VolumeType;
    let first = topics.first()?;
    if first.cluster.volume != Some(VolumeType::Gp2) {
        return None;
    }
    let (mut today, mut on_gp3) = (Decimal::ZERO, Decimal::ZERO);
    for p in topics {
        let gp3 = super::cost::ClusterInputs { volume: Some(VolumeType::Gp3), ..p.cluster.clone() };
        let after = match p.topic.current {
            Scenario::TieredStorage => cost::tiered_storage(&p.inputs, &gp3, a, prices).ok()?,
            _ => cost::broker_local(&p.inputs, &gp3, a, prices),
        };
        let before = p.topic.current_cost();
        if !before.missing.is_empty() || !after.missing.is_empty() {
            return None;
        }
        today += before.monthly_usd;
        on_gp3 += after.monthly_usd;
    }
    let saving = (today - on_gp3).round_dp(2);
    let summary = "change the brokers' gp2 volumes to gp3 in place (EBS Elastic Volumes), provisioning throughput \
                   and IOPS above gp3's baseline where the writes need it";
    let evidence = format!(
        "the bill shows gp2 storage; the cluster's topics cost {}/month on gp2 and {} on gp3",
        format::usd(today),
        format::usd(on_gp3)
    );
    (saving > Decimal::ZERO)
        .then(|| cluster_action(ActionKind::ChangeVolumesToGp3, cluster, summary.into(), evidence, saving, platform))
}

/// A cluster's terms for growing broker storage.
pub(crate) struct Growth<'a> {
    pub cluster: &'a str,
    /// MSK grows every broker's volume alike (`UpdateBrokerStorage` takes the keyword `ALL`).
    pub msk: bool,
    pub brokers: i64,
    /// The storage price per GiB-month.
    pub price: Option<Decimal>,
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// "Expand storage on broker N by X GiB before DATE" for each broker due to cross the threshold within the watch
/// window (`capacity::Expansion`): its added GiB, their monthly cost and the date. On MSK one action grows every
/// broker by the most any of them needs.
pub(crate) fn expand_storage(g: &Growth<'_>, needs: &[super::capacity::Expansion], platform: &str) -> Vec<Action> {
    let due = |days: Decimal| {
        let at = g.captured_at? + chrono::Duration::seconds(cost::whole(days * Decimal::from(86_400)));
        Some(at.format("%Y-%m-%d").to_string())
    };
    let action = |brokers: String, per_broker: Decimal, count: i64, days: Decimal| {
        let added = per_broker * Decimal::from(count);
        let cost = g.price.map(|p| (added * p).round_dp(2));
        let when = due(days).map(|d| format!(" before {d}")).unwrap_or_default();
        let summary = format!("expand storage on {brokers} by {} GiB{when}", format::quantity(per_broker));
        let evidence = format!(
            "at today's write rates the disk crosses the threshold in {} day(s); sized so that what it holds a year \
             from now sits at the threshold: {} GiB more in all, {}/month",
            days.normalize(),
            format::quantity(added),
            format::known_usd(cost)
        );
        Action {
            disk_added_gib: Some(added),
            monthly_cost_usd: cost,
            due_by: due(days),
            ..cluster_action(ActionKind::ExpandStorage, g.cluster, summary, evidence, Decimal::ZERO, platform)
        }
    };
    if g.msk {
        let Some(most) = needs.iter().max_by(|a, b| a.add_gib.cmp(&b.add_gib)) else { return Vec::new() };
        let soonest = needs.iter().map(|n| n.days).min().unwrap_or(most.days);
        let which = format!("every broker (MSK grows all alike; broker {} needs the most)", most.broker);
        return vec![action(which, most.add_gib, g.brokers, soonest)];
    }
    needs.iter().map(|n| action(format!("broker {}", n.broker), n.add_gib, 1, n.days)).collect()
}

/// Per planned move, "move partitions P of T off broker N (to brokers …) before DATE": no cost on the bill, the disk it
/// frees on the broker, approved by the platform (a reassignment copies the replicas once).
pub(crate) fn move_partitions(g: &Growth<'_>, moves: &[super::capacity::Move], platform: &str) -> Vec<Action> {
    moves
        .iter()
        .map(|m| {
            let due = g.captured_at.map(|at| {
                let at = at + chrono::Duration::seconds(cost::whole(m.days * Decimal::from(86_400)));
                at.format("%Y-%m-%d").to_string()
            });
            let list = |f: &dyn Fn(&(i64, i64)) -> i64| {
                let mut v: Vec<i64> = m.partitions.iter().map(f).collect();
                v.sort_unstable();
                v.dedup();
                v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            };
            let when = due.as_deref().map(|d| format!(" before {d}")).unwrap_or_default();
            let summary = format!(
                "move partitions {} of {} off broker {} (to brokers {}){when}",
                list(&|p| p.0),
                m.topic,
                m.broker,
                list(&|p| p.1)
            );
            let evidence = format!(
                "broker {} crosses the disk threshold in {} day(s) and a year from now would hold {} of its disk; these \
                 replicas will hold {} GiB by then, and without them it holds {}; the receiving brokers stay under the \
                 threshold, no rack gets a second replica of a partition, and the bill does not change (the \
                 reassignment copies them once)",
                m.broker,
                m.days.normalize(),
                format::percent(m.before),
                format::quantity(m.gib),
                format::percent(m.after)
            );
            Action {
                owner: m.owner.clone(),
                topic: Some(m.topic.clone()),
                disk_freed_gib: Some(m.gib),
                disk_freed: vec![(m.broker, m.gib)],
                due_by: due,
                ..cluster_action(ActionKind::MovePartitions, g.cluster, summary, evidence, Decimal::ZERO, platform)
            }
        })
        .collect()
}

/// The savings that add up: each topic's biggest action (one topic's actions overlap), split into right-sizing, the
/// architecture and operations, plus the cluster-level actions.
pub(crate) fn achievable(actions: &[Action]) -> crate::report_model::Achievable {
    let mut best: std::collections::BTreeMap<(&str, &str), &Action> = std::collections::BTreeMap::new();
    let mut out = crate::report_model::Achievable::default();
    for a in actions.iter().filter(|a| a.monthly_saving_usd > Decimal::ZERO) {
        match &a.topic {
            Some(topic) => {
                let slot = best.entry((a.cluster.as_str(), topic.as_str())).or_insert(a);
                if a.monthly_saving_usd > slot.monthly_saving_usd {
                    *slot = a;
                }
            }
            None => {
                out.cluster_usd += a.monthly_saving_usd;
                out.actions += 1;
            }
        }
    }
    for a in best.into_values() {
        out.actions += 1;
        match (a.kind, a.right_size_saving_usd, a.architecture_saving_usd) {
            (_, Some(right_size), Some(architecture)) => {
                out.right_size_usd += right_size;
                out.architecture_usd += architecture;
            }
            (
                ActionKind::MigrateToSharedStorage
                | ActionKind::MigrateToExpress
                | ActionKind::MoveToTieredStorage
                | ActionKind::MoveToBrokerLocal,
                ..,
            ) => out.architecture_usd += a.monthly_saving_usd,
            _ => out.operations_usd += a.monthly_saving_usd,
        }
    }
    out.monthly_saving_usd = out.right_size_usd + out.architecture_usd + out.operations_usd + out.cluster_usd;
    out
}

/// Actions in report order: biggest saving first, then by owner, topic and kind.
pub(crate) fn sort(actions: &mut [Action]) {
    actions.sort_by(|a, b| {
        b.monthly_saving_usd
            .cmp(&a.monthly_saving_usd)
            .then_with(|| a.owner.cmp(&b.owner))
            .then_with(|| a.topic.cmp(&b.topic))
            .then_with(|| a.kind.cmp(&b.kind))
    });
}

/// Each kind's boundary and rollback, as data: docs/handoff.md lists this table (a test holds the two in step).
pub const BOUNDARIES: &[(ActionKind, ActionBoundary, &str)] = &[
    (
        ActionKind::AssignOwner,
        ActionBoundary::PlatformApproval,
        "remove the catalog rule; the next run reports the topic unowned again",
    ),
    (
        ActionKind::ShortenRetention,
        ActionBoundary::PlatformApproval,
        "set retention.ms back (kafka-configs --alter); records deleted meanwhile do not come back, so copy what a replay may need first",
    ),
    (
        ActionKind::EnableFetchFromFollower,
        ActionBoundary::PlatformApproval,
        "unset the consumers' client.rack (or the brokers' replica.selector.class, a rolling restart): reads go back to leaders",
    ),
    (
        ActionKind::ShrinkVolumes,
        ActionBoundary::MigrationWindow,
        "keep the old brokers until the new ones have held a full retention; move partitions back if they fill",
    ),
    (
        ActionKind::MoveToTieredStorage,
        ActionBoundary::MigrationWindow,
        "turn remote storage off per topic (Kafka 3.9+, KIP-950); before that, plan it as one-way",
    ),
    (
        ActionKind::MoveToBrokerLocal,
        ActionBoundary::MigrationWindow,
        "turn remote storage back on; the brokers' disks must hold the whole retention meanwhile",
    ),
    (
        ActionKind::MigrateToSharedStorage,
        ActionBoundary::MigrationWindow,
        "keep the old cluster and mirror back (MirrorMaker 2) until the cut-over has held a full retention",
    ),
    (
        ActionKind::MigrateToExpress,
        ActionBoundary::MigrationWindow,
        "keep the old cluster and mirror back (MirrorMaker 2) until the cut-over has held a full retention",
    ),
    (
        ActionKind::RetireUnusedTopic,
        ActionBoundary::PlatformApproval,
        "archive it first (to S3, with a sink connector): deleted records come back only from the archive",
    ),
    (
        ActionKind::ChangeVolumesToGp3,
        ActionBoundary::PlatformApproval,
        "modify the volumes back to gp2 (EBS Elastic Volumes, in place; once per volume every 6 hours)",
    ),
    (
        ActionKind::ExpandStorage,
        ActionBoundary::PlatformApproval,
        "none needed: more disk changes no data; the cost stays, as MSK and EBS volumes do not shrink",
    ),
    (
        ActionKind::MovePartitions,
        ActionBoundary::PlatformApproval,
        "reassign back with the plan saved before (kafka-reassign-partitions with the current assignment)",
    ),
];

/// A kind's boundary and rollback.
pub fn boundary(kind: ActionKind) -> (ActionBoundary, &'static str) {
    BOUNDARIES
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, b, r)| (*b, *r))
        .expect("every action kind has a boundary (a test checks BOUNDARIES)")
}

#[cfg(test)]
mod boundary_tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// An action approved by `approver` (`cluster_action` over it, as a topic's action sets its own fields).
    fn action(kind: ActionKind, approver: &str) -> Action {
        let mut a = cluster_action(kind, "c", String::new(), String::new(), Decimal::ZERO, "payments");
        a.approver = approver.into();
        a
    }

    /// Safe action boundary: no action is ready; named approvers (each of a joint one) with the default boundaries
    /// are watch; an approver no catalog owner is (the platform team without a platform owner) blocks.
    #[test]
    fn the_safe_action_boundary_needs_named_approvers_and_is_watch_on_defaults() {
        use crate::report_model::Verdict;
        let contact =
            |o: &str| crate::settings::OwnerContact { owner: o.into(), escalation: "e".into(), channel: None };
        let owners = [contact("payments"), contact("platform")];
        let verdict = |actions: &[Action]| {
            let refs: Vec<&Action> = actions.iter().collect();
            let c = super::super::readiness::safe_action(&refs, &owners);
            (c.verdict, c.reason)
        };
        assert_eq!(verdict(&[]).0, Verdict::Ready);
        let joint = [
            action(ActionKind::ShortenRetention, "payments"),
            action(ActionKind::MigrateToExpress, "payments and platform"),
        ];
        let (v, why) = verdict(&joint);
        assert_eq!(v, Verdict::Watch);
        assert!(why.contains("migration window") && why.contains("platform approval"), "{why}");
        let (v, why) = verdict(&[action(ActionKind::ChangeVolumesToGp3, "the platform team")]);
        assert_eq!(v, Verdict::Blocked);
        assert!(why.contains("no named approver"), "{why}");
    }

    /// Every kind has one boundary and a rollback, and docs/handoff.md lists them as the table has them.
    #[test]
    fn every_action_kind_has_one_boundary_and_rollback_listed_in_the_docs() {
        let doc = include_str!("../../docs/handoff.md");
        for kind in ActionKind::iter() {
            let rows: Vec<_> = BOUNDARIES.iter().filter(|(k, _, _)| *k == kind).collect();
            assert_eq!(rows.len(), 1, "{kind:?}");
            let (_, b, rollback) = rows[0];
            assert!(!rollback.trim().is_empty(), "{kind:?}");
            let row = format!("| {} | {} | {rollback} |", kind.label(), b.label());
            assert!(doc.contains(&row), "docs/handoff.md lacks: {row}");
        }
    }
}
