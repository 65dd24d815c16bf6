//! Capacity: each broker's disk now and at steady state, the day it crosses the threshold, its other limits, and
//! who fills it. Pure; derived in docs/capacity.md.
//!
//! Every replica heads for the size its retention holds at today's write rate (Kafka's retention rule,
//! [`TopicInputs::partition_bytes_after`]): a time-bound replica `r_p × (R + T_p / 2)`, a size-bound one
//! `retention.bytes` plus half a segment, a compact-only one what it holds today, and one with unlimited retention
//! grows by its write rate forever. A replica below its steady state grows at its partition's write rate until it
//! gets there. Summed per broker, that is the disk each broker heads for with nothing new created, and the day it
//! crosses the threshold.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::assumptions::Assumptions;
use super::cost::{self, TopicInputs};
use crate::join::contract::{BrokerDisk, BrokerMetric};
use crate::report_model::{BrokerCapacity, CapacityLimit, ClusterCapacity, OwnerBytes};
use crate::settings::CapacityRules;

const SECONDS_PER_DAY_F: f64 = 86_400.0;
const MIB: f64 = 1_048_576.0;

/// Where one replica's bytes are headed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fill {
    /// Bytes today.
    pub now: Decimal,
    /// Its steady-state size at today's write rate; None = it grows without bound (unlimited retention).
    pub steady: Option<Decimal>,
    /// Bytes per second it grows by while below its steady state (its partition's write rate).
    pub rate: Decimal,
    /// Its steady state is the rate times a time (time retention), so it moves with the rate's trend.
    pub scales: bool,
    /// The write rate's trend: `days` from now the rate is `rate × trend.factor(days)`.
    pub trend: Trend,
    /// Which replica it is: the topic's place in the analysis' list and the partition's in its placement.
    pub topic: u32,
    pub partition: u32,
}

/// Write-rate points summed for a least-squares line: their count and the sums of x (days), y (bytes/s), x·y, x².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sums {
    pub n: usize,
    pub x: f64,
    pub y: f64,
    pub xy: f64,
    pub xx: f64,
}

/// A write rate's trend as a factor on today's rate: `at + per_day × days` (1 and 0 when flat).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// The factor now: the fitted line at the capture time over the rate the model uses (the window's mean).
    pub at: f64,
    /// Its change per day.
    pub per_day: f64,
}

impl Trend {
    pub const FLAT: Trend = Trend { at: 1.0, per_day: 0.0 };

    /// The least-squares line through `points` (days from the capture, negative before it; bytes/s) as a factor
    /// on `mean_rate`; None when fewer than `min` points, or all at one time.
    pub fn fit(points: &[(f64, f64)], mean_rate: f64, min: usize) -> Option<Trend> {
        let sums = Sums {
            n: points.len(),
            x: points.iter().map(|p| p.0).sum(),
            y: points.iter().map(|p| p.1).sum(),
            xy: points.iter().map(|p| p.0 * p.1).sum(),
            xx: points.iter().map(|p| p.0 * p.0).sum(),
        };
        Trend::from_sums(&sums, 0.0, mean_rate, min)
    }

    /// The same line from the points' sums, their x measured from `x0` (the capture's x).
    pub fn from_sums(s: &Sums, x0: f64, mean_rate: f64, min: usize) -> Option<Trend> {
        if s.n < min.max(2) {
            return None;
        }
        let n = s.n as f64;
        let (mx, my) = (s.x / n, s.y / n);
        let sxx = s.xx - n * mx * mx;
        let sxy = s.xy - n * mx * my;
        // Every point at one time (up to rounding): no line.
        if sxx <= 1e-9 * s.xx.abs().max(1.0) {
            return None;
        }
        let slope = sxy / sxx;
        let mx = mx - x0;
        if mean_rate <= 0.0 {
            return Some(Trend::FLAT);
        }
        // The line at the capture (day 0) and its slope, each over the rate the replicas fill at.
        Some(Trend { at: (my - slope * mx) / mean_rate, per_day: slope / mean_rate })
    }

    /// The factor `days` from now, never below 0.
    fn factor(&self, days: f64) -> f64 {
        (self.at + self.per_day * days).max(0.0)
    }

    /// ∫ factor over the first `days` days, in days.
    fn integral(&self, days: f64) -> f64 {
        let plain = |d: f64| self.at * d + self.per_day * d * d / 2.0;
        if self.per_day >= 0.0 {
            return plain(days).max(0.0);
        }
        // Falling: it stops at zero on day −at ÷ per_day.
        let zero = (-self.at / self.per_day).max(0.0);
        plain(days.min(zero)).max(0.0)
    }
}

impl Fill {
    /// Its bytes `days` from now, its rate following its trend.
    fn at(&self, days: f64) -> f64 {
        Fast::of(self).at(days)
    }
}

/// A fill in floating point, for projecting it at many times.
#[derive(Debug, Clone, Copy)]
struct Fast {
    now: f64,
    per_day: f64,
    steady: Option<f64>,
    scales: bool,
    trend: Trend,
}

impl Fast {
    fn of(f: &Fill) -> Fast {
        Fast {
            now: f.now.to_f64().unwrap_or(0.0),
            per_day: f.rate.to_f64().unwrap_or(0.0) * SECONDS_PER_DAY_F,
            steady: f.steady.and_then(|s| s.to_f64()),
            scales: f.scales,
            trend: f.trend,
        }
    }

    fn at(&self, days: f64) -> f64 {
        let grown = self.now + self.per_day * self.trend.integral(days);
        match self.steady {
            Some(s) => {
                let s = if self.scales { s * self.trend.factor(days) } else { s };
                if s > self.now { grown.min(s) } else { self.now }
            }
            None => grown,
        }
    }
}

/// Each partition's replicas' fill, in placement order (one copy: every replica of a partition holds the same), or
/// why it is unknown.
pub fn fills(t: &TopicInputs, a: &Assumptions) -> Result<Vec<Fill>, &'static str> {
    let total = Decimal::from(t.retained_bytes.ok_or("a partition's size was not collected")?);
    let parts = &t.placement.partitions;
    let now = |share: Decimal| total * share;
    let with = |scales: bool| {
        move |steady: &dyn Fn(usize, Decimal) -> Option<Decimal>, rate: Decimal| -> Vec<Fill> {
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| Fill {
                    now: now(p.share),
                    steady: steady(i, p.share),
                    rate: rate * p.share,
                    scales,
                    trend: Trend::FLAT,
                    topic: 0,
                    partition: i as u32,
                })
                .collect()
        }
    };
    // A steady state set by time moves with the rate; one set by size, by compaction, or none does not.
    let (at, fixed) = (with(true), with(false));
    // Compact only: one value per key, whatever the rate (docs/cost-model.md, "Retention as Kafka applies it").
    if t.compacted && !t.deletes {
        return Ok(fixed(&|_, share| Some(now(share)), Decimal::ZERO));
    }
    let rate = t.bytes_in_per_sec.and_then(Decimal::from_f64).ok_or("no write rate")?;
    // Tiered today: the brokers keep the local window, as the tiered cost counts it.
    if t.tiered_today.is_some() {
        let window = cost::local_window_ms(t, a);
        // Each partition's own window where Kafka's retention rule can be put in bytes; else the window's share.
        let own = match (window, t.retention_ms.filter(|r| *r > 0)) {
            (Some(w), Some(r)) if t.time_bound_known() => {
                t.partition_bytes_after((w / Decimal::from(r)).min(Decimal::ONE), Decimal::ONE)
            }
            _ => None,
        };
        if let Some(own) = own {
            return Ok(at(&|i, _| Some(own[i]), rate));
        }
        // Everything it keeps, local and remote; with unlimited retention that has no bound, the window's writes do.
        let unbounded = t.retention_ms.filter(|r| *r < 0).map(|_| Decimal::MAX);
        let all = cost::one_copy_bytes(t).or(unbounded).ok_or("its remote bytes are unknown")?;
        let local = cost::local_bytes(all, t, window);
        return Ok(at(&|_, share| Some(local * share), rate));
    }
    if t.retention_ms.is_some_and(|r| r < 0) && t.retention_bytes.is_none_or(|b| b <= 0) {
        return Ok(fixed(&|_, _| None, rate));
    }
    t.retention_ms.ok_or("retention unknown")?;
    let steady = t.partition_bytes_after(Decimal::ONE, Decimal::ONE).ok_or("its retention bound is unknown")?;
    // Size-bound when `retention.bytes` binds before the time bound: its steady state does not move with the rate.
    let by_size = t.retention_bytes.is_some_and(|b| b > 0)
        && t.partition_bytes_after(Decimal::ONE, Decimal::TWO).is_some_and(|twice| twice == steady);
    let fill = if by_size { fixed } else { at };
    Ok(fill(&|i, _| Some(steady[i]), rate))
}

/// One broker's replicas, as the analysis reads them.
#[derive(Debug, Default, Clone)]
pub struct Load {
    pub replicas: i64,
    pub leaders: i64,
    /// Each replica's fill; `unknown` names why a replica's could not be told.
    pub fills: Vec<Fill>,
    pub unknown: Option<String>,
    /// Bytes written to its disk per second (every replica takes its partition's writes) and sent out (the leaders'
    /// writes to their followers and consumers); None when a workload topic on it has no write rate.
    pub bytes_in_per_sec: Option<f64>,
    pub bytes_out_per_sec: Option<f64>,
    /// Bytes per owner today.
    pub owners: BTreeMap<String, Decimal>,
    /// Bytes per owner its replicas add over the next [`GROWTH_DAYS`] days.
    pub owner_growth: BTreeMap<String, f64>,
    /// Why a topic on it that is written to has no trend (too few points), naming it; the runway is then unknown.
    pub trend_unknown: Option<String>,
    /// The trends' sources among its topics: the fewest and most points, and what they came from.
    pub trend_points: Option<(usize, usize)>,
    pub trend_from: std::collections::BTreeSet<&'static str>,
}

/// The days ahead an owner's growth on a broker is counted over.
pub const GROWTH_DAYS: f64 = 30.0;

/// One topic as the analysis reads it.
pub struct TopicOnBrokers<'a> {
    pub topic: &'a str,
    pub owner: &'a str,
    pub internal: bool,
    pub inputs: &'a TopicInputs,
    /// Its write rate's trend and the points it was fitted to, or why there is none (too few points).
    pub trend: Result<Fitted, NoTrend>,
}

/// Why a topic has no trend: too few write-rate points.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "`{topic}` has {points} write-rate point(s) and a trend needs {min} (`[capacity] trend_min_points`: metric points \
     over the window, or earlier runs' rates)"
)]
pub struct NoTrend {
    pub topic: String,
    pub points: usize,
    pub min: usize,
}

/// A trend and what it was fitted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted {
    pub trend: Trend,
    pub points: usize,
    /// `daily metric points` or `earlier runs' rates`.
    pub from: &'static str,
}

/// Each broker's load from the topics' replicas on it (by broker id; brokers holding none are absent).
pub fn loads(topics: &[TopicOnBrokers<'_>], a: &Assumptions) -> BTreeMap<i64, Load> {
    let mut out: BTreeMap<i64, Load> = BTreeMap::new();
    for (index, t) in topics.iter().enumerate() {
        let inputs = t.inputs;
        // Kafka's and MSK's internal topics are the brokers' own traffic: held at today's size without a rate.
        let fills = match (fills(inputs, a), t.internal) {
            (Err(_), true) if inputs.retained_bytes.is_some() => Ok(held_as_is(inputs)),
            (f, _) => f.map_err(|why| format!("`{}`: {why}", t.topic)),
        };
        let rate = inputs.bytes_in_per_sec.or(t.internal.then_some(0.0));
        let reads = inputs.reads().to_f64().unwrap_or(0.0);
        // A topic that writes nothing to its disk needs no trend; one that does, and has none, leaves the runway
        // unknown.
        let written = matches!(&fills, Ok(f) if f.iter().any(|f| f.rate > Decimal::ZERO));
        let trend = match &t.trend {
            Ok(fitted) => Some(fitted),
            Err(why) if written => {
                let why = why.to_string();
                for b in inputs.placement.partitions.iter().flat_map(|p| &p.brokers) {
                    let load = out.entry(*b).or_default();
                    load.trend_unknown = load.trend_unknown.take().or_else(|| Some(why.clone()));
                }
                None
            }
            Err(_) => None,
        };
        for (i, p) in inputs.placement.partitions.iter().enumerate() {
            let share = p.share.to_f64().unwrap_or(0.0);
            for broker in &p.brokers {
                let load = out.entry(*broker).or_insert_with(|| Load {
                    bytes_in_per_sec: Some(0.0),
                    bytes_out_per_sec: Some(0.0),
                    ..Load::default()
                });
                load.replicas += 1;
                let leads = p.leader_broker == Some(*broker);
                load.leaders += i64::from(leads);
                let out_copies = if leads { (p.brokers.len().saturating_sub(1)) as f64 + reads } else { 0.0 };
                load.bytes_in_per_sec = load.bytes_in_per_sec.zip(rate).map(|(sum, r)| sum + r * share);
                load.bytes_out_per_sec = load.bytes_out_per_sec.zip(rate).map(|(sum, r)| sum + r * share * out_copies);
                match &fills {
                    Ok(f) => {
                        let line = trend.map_or(Trend::FLAT, |t| t.trend);
                        let fill = Fill { trend: line, topic: index as u32, ..f[i] };
                        let grows = fill.at(GROWTH_DAYS) - fill.now.to_f64().unwrap_or(0.0);
                        load.fills.push(fill);
                        *load.owners.entry(t.owner.to_string()).or_default() += f[i].now;
                        *load.owner_growth.entry(t.owner.to_string()).or_default() += grows.max(0.0);
                        if let Some(t) = trend.filter(|_| written) {
                            let (least, most) = load.trend_points.unwrap_or((t.points, t.points));
                            load.trend_points = Some((least.min(t.points), most.max(t.points)));
                            load.trend_from.insert(t.from);
                        }
                    }
                    Err(why) => load.unknown = load.unknown.take().or_else(|| Some(why.clone())),
                }
            }
        }
    }
    out
}

/// A topic's replicas held at today's size.
fn held_as_is(t: &TopicInputs) -> Vec<Fill> {
    let total = Decimal::from(t.retained_bytes.unwrap_or(0));
    t.placement
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| Fill {
            now: total * p.share,
            steady: Some(total * p.share),
            rate: Decimal::ZERO,
            scales: false,
            trend: Trend::FLAT,
            topic: 0,
            partition: i as u32,
        })
        .collect()
}

impl Load {
    /// Bytes on the broker `days` from now, each replica's rate following its topic's trend.
    fn at(&self, days: f64) -> f64 {
        self.fills.iter().map(|f| f.at(days)).sum()
    }

    /// Its replicas' bytes today.
    pub fn held(&self) -> Decimal {
        self.fills.iter().map(|f| f.now).sum()
    }

    /// Its bytes once every replica has reached its steady state at today's rates; a replica with unlimited
    /// retention counts at today's size (it grows on by its write rate, which the runway takes).
    pub fn steady(&self) -> Decimal {
        self.fills.iter().map(|f| f.steady.unwrap_or(f.now).max(f.now)).sum()
    }

    /// Bytes per second its replicas with unlimited retention keep growing by.
    pub fn unbounded_rate(&self) -> Decimal {
        self.fills.iter().filter(|f| f.steady.is_none()).map(|f| f.rate).sum()
    }
}

/// How far ahead a runway looks: five years. A broker that crosses later has no date ("stays under").
pub const RUNWAY_HORIZON_DAYS: i64 = 1826;

/// When a broker whose disk holds `other` bytes besides its replicas crosses `limit` bytes as its replicas fill: the
/// days from now, `Some(0)` when it is over already, `None` when it does not within [`RUNWAY_HORIZON_DAYS`]. Each
/// replica grows at its rate (following its trend) until its steady state (which moves with the rate under time
/// retention), so the broker's bytes are continuous in time: stepped a day at a time for 90 days and a week at a time
/// after, and the step that crosses is halved down to the day's tenth.
pub fn days_to(load: &Load, other: Decimal, limit: Decimal) -> Option<Decimal> {
    let (other, limit) = (other.to_f64().unwrap_or(0.0), limit.to_f64()?);
    let fast: Vec<Fast> = load.fills.iter().map(Fast::of).collect();
    let over = |days: f64| other + fast.iter().map(|f| f.at(days)).sum::<f64>() >= limit;
    if over(0.0) {
        return Some(Decimal::ZERO);
    }
    // No rate falling: the bytes never shrink, so under at the horizon is under all the way.
    if fast.iter().all(|f| f.trend.per_day >= 0.0) && !over(RUNWAY_HORIZON_DAYS as f64) {
        return None;
    }
    let steps = (1..=90).chain((97..=RUNWAY_HORIZON_DAYS).step_by(7)).map(|d| d as f64);
    let mut from = 0.0;
    for to in steps {
        if over(to) {
            let (mut low, mut high) = (from, to);
            for _ in 0..40 {
                let mid = (low + high) / 2.0;
                if over(mid) { high = mid } else { low = mid }
            }
            return Decimal::from_f64(high).map(|d| d.round_dp(1));
        }
        from = to;
    }
    None
}

/// One broker's load against its limits, each as a share of what is planned for: the disk's threshold, MSK's
/// recommended partitions, and the target utilisation of its volume's write throughput and of its network baseline
/// (the busier direction: "Instance bandwidth specifications apply to both inbound and outbound traffic").
pub struct Limits {
    pub disk_share: Option<Decimal>,
    pub threshold: Decimal,
    pub replicas: i64,
    pub partitions_limit: Option<i64>,
    pub bytes_in_per_sec: f64,
    pub bytes_out_per_sec: f64,
    pub write_limit_mibps: Decimal,
    pub network_limit_mibps: Option<Decimal>,
    pub target: Decimal,
}

/// The broker's limits against its load: the one nearest (or over) what is planned for binds.
pub fn binding(l: &Limits) -> Option<(CapacityLimit, Decimal)> {
    let partitions = l.partitions_limit.filter(|n| *n > 0).map(|n| Decimal::from(l.replicas) / Decimal::from(n));
    let of = |bytes: f64, limit_mibps: Decimal| -> Option<Decimal> {
        let planned = (limit_mibps * l.target).to_f64().filter(|p| *p > 0.0)?;
        Decimal::from_f64(bytes / MIB / planned)
    };
    let throughput = of(l.bytes_in_per_sec, l.write_limit_mibps);
    let network = l.network_limit_mibps.and_then(|n| of(l.bytes_in_per_sec.max(l.bytes_out_per_sec), n));
    let disk = l.disk_share.map(|s| s / l.threshold);
    [
        (CapacityLimit::Disk, disk),
        (CapacityLimit::Partitions, partitions),
        (CapacityLimit::WriteThroughput, throughput),
        (CapacityLimit::Network, network),
    ]
    .into_iter()
    .filter_map(|(b, share)| Some((b, share?)))
    .max_by(|a, b| a.1.cmp(&b.1))
    .map(|(b, s)| (b, s.round_dp(4)))
}

/// What the analysis knows of one cluster besides its topics.
pub struct ClusterDisks<'a> {
    pub cluster: &'a str,
    pub instance_type: &'a str,
    /// Every broker and its rack.
    pub brokers: Vec<(i64, Option<String>)>,
    /// Its brokers' log dirs (`broker_disks`: a broker without any has one row with none).
    pub log_dirs: Vec<&'a BrokerDisk>,
    /// Its brokers' own CloudWatch series (MSK), where there are any.
    pub metrics: Vec<&'a BrokerMetric>,
    /// Storage provisioned per broker as the bill shows it, GiB (MSK gives every broker the same).
    pub billed_gib_per_broker: Option<Decimal>,
    /// What one broker's volume sustains, MiB/s.
    pub write_mibps: Decimal,
    /// One broker's network baseline, MiB/s each way (`broker_network_mibps`, else its instance's EC2 baseline);
    /// None = unknown, not a bound.
    pub network_mibps: Option<Decimal>,
    /// The share of the volume's throughput and the network baseline planned for (`target_throughput_utilization`).
    pub target: Decimal,
}

/// A broker's disk: total, used and usable bytes and where they came from.
struct Disk {
    total: Option<Decimal>,
    used: Option<Decimal>,
    usable: Option<Decimal>,
    basis: String,
}

/// The broker's disk from its log dirs (DescribeLogDirs v4+), else from the bill's provisioned storage with what
/// `KafkaDataLogsDiskUsed` says is used (else the replicas' bytes).
fn disk(broker: i64, c: &ClusterDisks<'_>, held: Option<Decimal>) -> Disk {
    let dirs: Vec<&&BrokerDisk> = c.log_dirs.iter().filter(|d| d.broker_id == broker && d.log_dir.is_some()).collect();
    if !dirs.is_empty() {
        // Dirs reporting the same volume size are taken to share one volume (two dirs on one filesystem report
        // the same `TotalBytes`): counted once, with the least usable space any of them reports. Distinct volumes
        // of one size are undercounted so, never overcounted: the runway errs early.
        let mut volumes: BTreeMap<Option<i64>, Option<i64>> = BTreeMap::new();
        for d in &dirs {
            let slot = volumes.entry(d.total_bytes).or_insert(d.usable_bytes);
            *slot = slot.zip(d.usable_bytes).map(|(a, b)| a.min(b)).or(None);
        }
        let total: Option<i64> = volumes.keys().copied().sum();
        let usable: Option<i64> = volumes.values().copied().sum();
        let shared = dirs.len() - volumes.len();
        let failed: Vec<String> = dirs
            .iter()
            .filter_map(|d| Some(format!("{} ({})", d.log_dir.as_deref().unwrap_or_default(), d.error.as_ref()?)))
            .collect();
        let basis = if !failed.is_empty() {
            format!("unknown: log dir {} answered with an error", failed.join(", "))
        } else if total.is_none() {
            "unknown: the broker gave no volume size (DescribeLogDirs before v4, KIP-827)".to_string()
        } else if shared > 0 {
            format!(
                "{} log dirs, as DescribeLogDirs reports their volumes; dirs reporting the same volume size are \
                 counted once ({} volume(s))",
                dirs.len(),
                volumes.len()
            )
        } else {
            format!("{} log dir(s), as DescribeLogDirs reports their volumes", dirs.len())
        };
        let ok = failed.is_empty();
        let (total, usable) = (total.filter(|_| ok).map(Decimal::from), usable.filter(|_| ok).map(Decimal::from));
        return Disk { total, used: total.zip(usable).map(|(t, u)| t - u), usable, basis };
    }
    let used_percent = c
        .metrics
        .iter()
        .find(|m| m.broker_id == broker)
        .and_then(|m| m.disk_used_percent)
        .and_then(Decimal::from_f64)
        .filter(|p| (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(p));
    match (c.billed_gib_per_broker, used_percent) {
        (Some(gib), Some(percent)) => {
            let total = gib * super::cost::GIB;
            let used = (total * percent / Decimal::ONE_HUNDRED).round();
            Disk {
                total: Some(total),
                used: Some(used),
                usable: Some(total - used),
                basis: format!(
                    "the bill's provisioned broker storage ÷ brokers; used = its last KafkaDataLogsDiskUsed point, {}%",
                    percent.normalize()
                ),
            }
        }
        (Some(gib), None) => {
            let total = gib * super::cost::GIB;
            Disk {
                total: Some(total),
                used: held,
                usable: held.map(|h| total - h),
                basis: "the bill's provisioned broker storage ÷ brokers (no log-dir sizes); used = the replicas' bytes"
                    .to_string(),
            }
        }
        (None, _) => Disk {
            total: None,
            used: held,
            usable: None,
            basis: "unknown: no log-dir sizes (DescribeLogDirs v4+) and no billed broker storage".to_string(),
        },
    }
}

/// How far ahead an expansion is sized: what the broker holds this many days from now sits at the threshold.
pub const EXPANSION_HORIZON_DAYS: i64 = 365;

/// A broker due to cross the threshold within `runway_watch_days`: the GiB it needs more so that what it holds
/// [`EXPANSION_HORIZON_DAYS`] from now sits at the threshold, and the days left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expansion {
    pub broker: i64,
    pub add_gib: Decimal,
    pub days: Decimal,
}

/// What the capacity analysis finds for one cluster.
pub struct Analysis {
    pub brokers: Vec<BrokerCapacity>,
    pub cluster: ClusterCapacity,
    pub expansions: Vec<Expansion>,
}

/// Each of the cluster's brokers against its limits, the cluster's balance, and the brokers that need more disk soon.
pub fn analyse(c: &ClusterDisks<'_>, loads: &BTreeMap<i64, Load>, rules: &CapacityRules) -> Analysis {
    let empty = Load::default();
    let (brokers, expansions): (Vec<BrokerCapacity>, Vec<Option<Expansion>>) =
        c.brokers.iter().map(|(id, rack)| broker(c, *id, rack.clone(), loads.get(id).unwrap_or(&empty), rules)).unzip();
    let skew = |values: Vec<Decimal>| -> Option<Decimal> {
        let n = Decimal::from(values.len() as i64);
        let mean = values.iter().copied().sum::<Decimal>() / n.max(Decimal::ONE);
        let max = values.iter().copied().max()?;
        (mean > Decimal::ZERO).then(|| (max / mean).round_dp(3))
    };
    let held: Option<Vec<Decimal>> = brokers.iter().map(|b| b.disk_used_bytes.map(Decimal::from)).collect();
    let cluster = ClusterCapacity {
        cluster: c.cluster.to_string(),
        leader_skew: skew(brokers.iter().map(|b| Decimal::from(b.leaders)).collect()),
        bytes_skew: held.and_then(skew),
        skew_threshold: Decimal::new(110, 2),
        tightest_broker: brokers
            .iter()
            .filter_map(|b| Some((b.broker, b.binding_share?)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|b| b.0),
    };
    Analysis { brokers, cluster, expansions: expansions.into_iter().flatten().collect() }
}

/// Partitions of one topic to move off a broker due to cross the threshold, each to a broker with room.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub broker: i64,
    pub topic: String,
    pub owner: String,
    /// Each partition moved and the broker it goes to.
    pub partitions: Vec<(i64, i64)>,
    /// What the moved replicas hold a year from now, GiB.
    pub gib: Decimal,
    /// Days until the broker crosses the threshold.
    pub days: Decimal,
    /// The broker's share of its disk a year from now, before and after the move.
    pub before: Decimal,
    pub after: Decimal,
}

/// Where a move aims: this share of the threshold a year from now, off the line.
const MOVE_MARGIN: f64 = 0.95;

/// For each broker due to cross the threshold within the watch window (or over it): the partitions of its biggest
/// topics (at most three) that brokers with room can take, so that what it holds a year from now sits under the
/// threshold (× [`MOVE_MARGIN`]). A partition goes to a broker holding no replica of it, in the same rack or in one
/// none of its other replicas is in (rack-aware placement survives), which stays under the threshold a year on with
/// what it takes; the fullest replicas go first, each to the emptiest such broker. None for a broker that moving
/// cannot bring under: the cluster as a whole is full, and expanding is the answer.
pub fn moves(
    c: &ClusterDisks<'_>,
    loads: &BTreeMap<i64, Load>,
    topics: &[TopicOnBrokers<'_>],
    found: &[BrokerCapacity],
    rules: &CapacityRules,
) -> Vec<Move> {
    let horizon = EXPANSION_HORIZON_DAYS as f64;
    let threshold = rules.disk_threshold.to_f64().unwrap_or(0.8);
    let rack: BTreeMap<i64, Option<&str>> = c.brokers.iter().map(|(id, r)| (*id, r.as_deref())).collect();
    // Each broker's bytes a year from now and its limit, where both are known.
    let mut ahead: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for b in found {
        let (Some(total), Some(used), Some(load)) = (b.disk_total_bytes, b.disk_used_bytes, loads.get(&b.broker))
        else {
            continue;
        };
        if load.unknown.is_some() {
            continue;
        }
        let other = (used as f64 - load.held().to_f64().unwrap_or(0.0)).max(0.0);
        ahead.insert(b.broker, (other + load.at(horizon), total as f64 * threshold));
    }
    let watch = Decimal::from(rules.runway_watch_days);
    let mut out = Vec::new();
    for b in found.iter().filter(|b| b.days_to_threshold.is_some_and(|d| d <= watch)) {
        let (Some(&(start, limit)), Some(load)) = (ahead.get(&b.broker), loads.get(&b.broker)) else { continue };
        if start <= limit * MOVE_MARGIN {
            continue;
        }
        let mut trial = ahead.clone();
        let planned = plan(b.broker, limit * MOVE_MARGIN, load, topics, &rack, &mut trial);
        let end = trial[&b.broker].0;
        if end > limit || planned.is_empty() {
            continue;
        }
        let total = limit / threshold;
        let share = |bytes: f64| Decimal::from_f64(bytes / total).unwrap_or_default().round_dp(4);
        for (topic, moved) in planned {
            let t = &topics[topic as usize];
            let gib = moved.iter().map(|m| m.2).sum::<f64>() / cost::GIB.to_f64().unwrap_or(1.0);
            out.push(Move {
                broker: b.broker,
                topic: t.topic.to_string(),
                owner: t.owner.to_string(),
                partitions: moved.iter().map(|m| (m.0, m.1)).collect(),
                gib: Decimal::from_f64(gib).unwrap_or_default().round_dp(2),
                days: b.days_to_threshold.unwrap_or_default(),
                before: share(start),
                after: share(end),
            });
        }
        ahead = trial;
    }
    out
}

/// One replica moved: its partition, the broker it goes to, and the bytes it holds a year on.
type Moved = (i64, i64, f64);

/// The replicas of broker `from`'s biggest workload topics (at most three), fullest first, each given to the emptiest
/// broker in `trial` that may take it (no replica of its partition there; its rack the broker's own or one the
/// partition's other replicas are not in; under `aim`-share of its limit with it), until `from` is under `aim` bytes.
/// `trial` (each broker's bytes a year on and its limit) is updated; returns each topic's moves (partition, to, bytes).
fn plan(
    from: i64,
    aim: f64,
    load: &Load,
    topics: &[TopicOnBrokers<'_>],
    rack: &BTreeMap<i64, Option<&str>>,
    trial: &mut BTreeMap<i64, (f64, f64)>,
) -> Vec<(u32, Vec<Moved>)> {
    let horizon = EXPANSION_HORIZON_DAYS as f64;
    let mut by_topic: BTreeMap<u32, Vec<(u32, f64)>> = BTreeMap::new();
    for f in load.fills.iter().filter(|f| !topics[f.topic as usize].internal) {
        by_topic.entry(f.topic).or_default().push((f.partition, f.at(horizon)));
    }
    let mut order: Vec<(u32, Vec<(u32, f64)>)> = by_topic.into_iter().collect();
    order.sort_by(|a, b| b.1.iter().map(|p| p.1).sum::<f64>().total_cmp(&a.1.iter().map(|p| p.1).sum::<f64>()));
    let own_rack = rack.get(&from).copied().flatten();
    let mut planned = Vec::new();
    for (topic, mut replicas) in order.into_iter().take(3) {
        replicas.sort_by(|a, b| b.1.total_cmp(&a.1));
        let placement = &topics[topic as usize].inputs.placement.partitions;
        let mut moved = Vec::new();
        for (partition, bytes) in replicas {
            if trial[&from].0 <= aim {
                break;
            }
            let holders = &placement[partition as usize].brokers;
            let other_racks: Vec<Option<&str>> =
                holders.iter().filter(|h| **h != from).map(|h| rack.get(h).copied().flatten()).collect();
            let to = trial
                .iter()
                .filter(|(id, (bytes_to, limit_to))| {
                    let r = rack.get(id).copied().flatten();
                    !holders.contains(id)
                        && (r == own_rack || r.is_none() || !other_racks.contains(&r))
                        && bytes_to + bytes <= limit_to * MOVE_MARGIN
                })
                .min_by(|x, y| (x.1.0 / x.1.1).total_cmp(&(y.1.0 / y.1.1)))
                .map(|(id, _)| *id);
            let Some(to) = to else { continue };
            trial.entry(to).and_modify(|t| t.0 += bytes);
            trial.entry(from).and_modify(|t| t.0 -= bytes);
            moved.push((i64::from(partition), to, bytes));
        }
        if !moved.is_empty() {
            planned.push((topic, moved));
        }
    }
    planned
}

/// The disk a broker due to cross the threshold within the watch window needs more: enough that what it holds a
/// horizon from now (its replicas filling at today's rates, plus the `other` bytes on its disk) sits at the
/// threshold.
fn expansion(b: &BrokerCapacity, load: &Load, other: Decimal, rules: &CapacityRules) -> Option<Expansion> {
    let days = b.days_to_threshold.filter(|d| *d <= Decimal::from(rules.runway_watch_days))?;
    let ahead = other + Decimal::from_f64(load.at(EXPANSION_HORIZON_DAYS as f64))?;
    let add = ahead / rules.disk_threshold - Decimal::from(b.disk_total_bytes?);
    (add > Decimal::ZERO).then(|| Expansion { broker: b.broker, add_gib: (add / cost::GIB).round_dp(2), days })
}

/// One broker against its limits, and the disk it needs more if it crosses the threshold soon.
fn broker(
    c: &ClusterDisks<'_>,
    id: i64,
    rack: Option<String>,
    load: &Load,
    rules: &CapacityRules,
) -> (BrokerCapacity, Option<Expansion>) {
    let held = load.unknown.is_none().then(|| load.held());
    let d = disk(id, c, held);
    let measured = c.metrics.iter().find(|m| m.broker_id == id);
    let whole = |v: Decimal| super::cost::whole(v);
    let share =
        |v: Option<Decimal>| d.total.zip(v).filter(|(t, _)| *t > Decimal::ZERO).map(|(t, v)| (v / t).round_dp(4));
    // What the disk holds besides the replicas counted stays as it is.
    let other = d.used.zip(held).map(|(u, h)| (u - h).max(Decimal::ZERO)).unwrap_or_default();
    let steady = load.unknown.is_none().then(|| load.steady() + other);
    let (days, basis) = runway(&d, load, other, steady, rules);
    let limit = super::sizing::partitions_per_broker(c.instance_type);
    let bound = binding(&Limits {
        disk_share: share(steady).or(share(d.used)),
        threshold: rules.disk_threshold,
        replicas: load.replicas,
        partitions_limit: limit,
        bytes_in_per_sec: load.bytes_in_per_sec.unwrap_or(0.0),
        bytes_out_per_sec: load.bytes_out_per_sec.unwrap_or(0.0),
        write_limit_mibps: c.write_mibps,
        network_limit_mibps: c.network_mibps,
        target: c.target,
    });
    let held_total = held.unwrap_or_default();
    let growth_total: f64 = load.owner_growth.values().sum();
    let mut owners: Vec<OwnerBytes> = load
        .owners
        .iter()
        .map(|(owner, bytes)| {
            let grows = load.owner_growth.get(owner).copied().unwrap_or(0.0);
            OwnerBytes {
                owner: owner.clone(),
                bytes: whole(*bytes),
                share: if held_total > Decimal::ZERO { (*bytes / held_total).round_dp(4) } else { Decimal::ZERO },
                growth_bytes: grows.round() as i64,
                growth_share: (growth_total > 0.0)
                    .then(|| Decimal::from_f64(grows / growth_total))
                    .flatten()
                    .map(|s| s.round_dp(4)),
            }
        })
        .collect();
    owners.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.owner.cmp(&b.owner)));
    let b = BrokerCapacity {
        cluster: c.cluster.to_string(),
        broker: id,
        rack,
        instance_type: c.instance_type.to_string(),
        disk_total_bytes: d.total.map(whole),
        disk_used_bytes: d.used.map(whole),
        disk_usable_bytes: d.usable.map(whole),
        disk_used_share: share(d.used),
        disk_basis: d.basis.clone(),
        disk_steady_state_bytes: steady.map(whole),
        disk_steady_state_share: share(steady),
        days_to_threshold: days,
        runway_basis: basis,
        replicas: load.replicas,
        leaders: load.leaders,
        partitions_limit: limit,
        bytes_in_per_sec: load.bytes_in_per_sec.map(|v| (v * 1000.0).round() / 1000.0),
        bytes_out_per_sec: load.bytes_out_per_sec.map(|v| (v * 1000.0).round() / 1000.0),
        throughput_limit_bytes_per_sec: c.write_mibps.to_f64().unwrap_or(0.0) * MIB,
        network_limit_bytes_per_sec: c.network_mibps.and_then(|n| n.to_f64()).map(|n| (n * MIB).round()),
        metric_bytes_in_per_sec: measured.and_then(|m| m.bytes_in_per_sec).map(|v| (v * 1000.0).round() / 1000.0),
        metric_bytes_out_per_sec: measured.and_then(|m| m.bytes_out_per_sec).map(|v| (v * 1000.0).round() / 1000.0),
        binding_limit: bound.map(|b| b.0),
        binding_share: bound.map(|b| b.1),
        owners,
    };
    let more = expansion(&b, load, other, rules);
    (b, more)
}

/// The days until the disk crosses the threshold, and how that was found (or why it is unknown).
fn runway(
    d: &Disk,
    load: &Load,
    other: Decimal,
    steady: Option<Decimal>,
    rules: &CapacityRules,
) -> (Option<Decimal>, String) {
    let threshold = format!("{}%", (rules.disk_threshold * Decimal::ONE_HUNDRED).normalize());
    // Over the threshold now is a fact whatever the replicas' futures.
    if let (Some(total), Some(used)) = (d.total, d.used)
        && used >= total * rules.disk_threshold
    {
        return (Some(Decimal::ZERO), format!("over the {threshold} threshold now"));
    }
    if let Some(why) = &load.unknown {
        return (None, format!("unknown: {why}"));
    }
    let Some(total) = d.total.filter(|_| d.used.is_some()) else { return (None, d.basis.clone()) };
    let limit = total * rules.disk_threshold;
    if let Some(why) = &load.trend_unknown {
        return (None, format!("unknown: {why}"));
    }
    let trend = match (load.trend_points, load.trend_from.iter().copied().collect::<Vec<_>>().join(" and ")) {
        (Some((least, most)), from) if least == most => {
            format!("; write rates trending by a least-squares fit over {least} {from}")
        }
        (Some((least, most)), from) => {
            format!("; write rates trending by least-squares fits over {least} to {most} {from}")
        }
        (None, _) => String::new(),
    };
    match days_to(load, other, limit) {
        Some(days) if days.is_zero() => (Some(days), format!("over the {threshold} threshold now")),
        Some(days) => {
            let growth = if load.unbounded_rate() > Decimal::ZERO {
                "; replicas with unlimited retention grow on by their write rate"
            } else {
                ""
            };
            let basis = format!(
                "each replica filling to what its retention holds at its write rate{trend}{growth}; crosses {threshold}"
            );
            (Some(days), basis)
        }
        None => {
            let share = steady.map(|s| (s / total * Decimal::ONE_HUNDRED).round_dp(1)).unwrap_or_default();
            (
                None,
                format!(
                    "stays under {threshold} for five years{trend}: {share}% of the disk at steady state at today's rates"
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::zones::Placement;
    use rust_decimal::dec;

    const GIB: i64 = 1 << 30;
    const MIB_F: f64 = 1_048_576.0;
    const DAY_MS: i64 = 86_400_000;

    /// One partition, RF 1, on broker 1, written at `rate` bytes/s, holding `gib` GiB today.
    fn topic(rate: f64, gib: i64) -> TopicInputs {
        let mut placement = Placement::rack_aware(1, 1, &["a".to_string()]);
        placement.partitions[0].brokers = vec![1];
        placement.partitions[0].leader_broker = Some(1);
        TopicInputs {
            replication_factor: 1,
            retained_bytes: Some(gib * GIB),
            bytes_in_per_sec: Some(rate),
            retention_ms: Some(7 * DAY_MS),
            segment_bytes: Some(GIB),
            segment_ms: Some(7 * DAY_MS),
            groups: vec![],
            placement,
            ..crate::model::cost::tests::topic()
        }
    }

    /// An MSK cluster `c` of m5.large brokers, each billed `gib` GiB, at 250 MiB/s a volume planned at 80 %.
    fn cluster_of(brokers: Vec<(i64, Option<String>)>, gib: Decimal) -> ClusterDisks<'static> {
        ClusterDisks {
            cluster: "c",
            instance_type: "kafka.m5.large",
            brokers,
            log_dirs: vec![],
            metrics: vec![],
            billed_gib_per_broker: Some(gib),
            write_mibps: dec!(250),
            network_mibps: None,
            target: dec!(0.8),
        }
    }

    /// The days one topic alone on broker 1 takes to fill a `disk_gib` disk to 80 %, with its basis.
    fn runway_of(t: &TopicInputs, disk_gib: i64) -> (Option<Decimal>, String, Option<i64>) {
        runway_with(t, disk_gib, Ok(FLAT_MONTH))
    }

    /// A month of daily points with no trend.
    const FLAT_MONTH: Fitted = Fitted { trend: Trend::FLAT, points: 30, from: "daily metric points" };

    /// As `runway_of`, with the topic's trend (or why it has none).
    fn runway_with(
        t: &TopicInputs,
        disk_gib: i64,
        trend: Result<Fitted, NoTrend>,
    ) -> (Option<Decimal>, String, Option<i64>) {
        let on = [TopicOnBrokers { topic: "t", owner: "o", internal: false, inputs: t, trend }];
        let disks = cluster_of(vec![(1, None)], Decimal::from(disk_gib));
        let brokers = analyse(&disks, &loads(&on, &Assumptions::default()), &CapacityRules::default()).brokers;
        let b = &brokers[0];
        (b.days_to_threshold, b.runway_basis.clone(), b.disk_steady_state_bytes)
    }

    #[test]
    /// Derived by hand: each replica fills at its partition's write rate to what its retention holds (Kafka deletes
    /// whole rolled segments: `r × (R + T/2)`, `T = min(segment.ms, segment.bytes ÷ r)`), and the broker crosses 80 %
    /// of its disk when the sum reaches it.
    fn a_young_topic_fills_its_retention_window_and_crosses_the_threshold_on_the_day_it_reaches_it() {
        // Three days old at 1 MiB/s: 3 × 86,400 MiB = 253.125 GiB today. 1 GiB segments roll every 1,024 s (before
        // segment.ms' 7 days), so 7 days' retention holds 1 MiB/s × (604,800 + 512) s = 591.125 GiB.
        let young = TopicInputs { retained_bytes: Some(3 * 86_400 * 1_048_576), ..topic(MIB_F, 0) };
        // A 500 GiB disk: 80 % is 400 GiB, reached after (400 − 253.125) GiB ÷ 1 MiB/s = 150,400 s = 1.7 days.
        let (days, basis, steady) = runway_of(&young, 500);
        assert_eq!(days, Some(dec!(1.7)), "{basis}");
        assert_eq!(steady, Some(591 * GIB + GIB / 8));
        // On a 1,000 GiB disk it never gets there: 59.1 % at steady state.
        let (days, basis, _) = runway_of(&young, 1000);
        assert_eq!(days, None);
        assert!(
            basis.contains("stays under 80% for five years") && basis.contains("59.1% of the disk at steady state"),
            "{basis}"
        );
    }

    #[test]
    /// Derived by hand, one case per retention kind.
    fn size_bound_compacted_unlimited_and_unknown_runways() {
        // Size-bound: retention.bytes 10 GiB at 1 KiB/s (the time bound, 10 years, is far over). A 1 GiB segment
        // would take 12.1 days at 1 KiB/s, so segment.ms rolls it at 7 days holding 604,800 KiB: the partition holds
        // 10 GiB + 604,800 × 1,024 ÷ 2 = 11,047,075,840 B. 5 GiB today; a 12 GiB disk's 80 % is 9.6 GiB:
        // 4.6 GiB ÷ 1 KiB/s = 4,823,450 s = 55.8 days.
        let capped =
            TopicInputs { retention_bytes: Some(10 * GIB), retention_ms: Some(3650 * DAY_MS), ..topic(1024.0, 5) };
        let (days, _, steady) = runway_of(&capped, 12);
        assert_eq!((days, steady), (Some(dec!(55.8)), Some(11_047_075_840)));
        // Compact only: it keeps what it has whatever the rate; 100 GiB on a 110 GiB disk stays at 90.9 %, over 80 %
        // now.
        let compacted = TopicInputs { compacted: true, deletes: false, ..topic(MIB_F, 100) };
        let (days, basis, steady) = runway_of(&compacted, 110);
        assert_eq!((days, steady), (Some(dec!(0)), Some(100 * GIB)), "{basis}");
        assert!(basis.contains("over the 80% threshold now"), "{basis}");
        // Unlimited retention: 100 GiB growing by 1 MiB/s reaches 800 GiB of a 1,000 GiB disk after 700 × 1,024 s
        // = 716,800 s = 8.3 days; its steady state counts today's size.
        let unlimited = TopicInputs { retention_ms: Some(-1), ..topic(MIB_F, 100) };
        let (days, basis, steady) = runway_of(&unlimited, 1000);
        assert_eq!((days, steady), (Some(dec!(8.3)), Some(100 * GIB)));
        assert!(basis.contains("unlimited retention grow on"), "{basis}");
        // No write rate: unknown, never a date.
        let unknown = TopicInputs { bytes_in_per_sec: None, ..topic(MIB_F, 100) };
        let (days, basis, steady) = runway_of(&unknown, 1000);
        assert_eq!((days, steady), (None, None));
        assert!(basis.contains("unknown: `t`: no write rate"), "{basis}");
    }

    #[test]
    /// Derived by hand. A broker due to cross the threshold within `runway_watch_days` gets more disk, sized so that
    /// what it holds a year from now sits at the threshold; MSK grows every broker alike (`UpdateBrokerStorage`
    /// takes only `ALL`).
    fn a_broker_crossing_the_threshold_soon_is_expanded_before_the_day() {
        use crate::model::actions::{Growth, expand_storage};
        // The young topic of the first test on broker 1 of three 500 GiB brokers: it crosses 80 % in 1.7 days and
        // a year from now holds its steady state, 591.125 GiB. 591.125 ÷ 0.8 = 738.90625 GiB: 238.91 GiB more.
        let young = TopicInputs { retained_bytes: Some(3 * 86_400 * 1_048_576), ..topic(MIB_F, 0) };
        let on = [TopicOnBrokers { topic: "t", owner: "o", internal: false, inputs: &young, trend: Ok(FLAT_MONTH) }];
        let disks = cluster_of(vec![(1, None), (2, None), (3, None)], dec!(500));
        let found = analyse(&disks, &loads(&on, &Assumptions::default()), &CapacityRules::default());
        assert_eq!(found.expansions, [Expansion { broker: 1, add_gib: dec!(238.91), days: dec!(1.7) }]);
        let captured = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap().to_utc();
        let grow = |msk| Growth { cluster: "c", msk, brokers: 3, price: Some(dec!(0.10)), captured_at: Some(captured) };
        // MSK: all three grow by 238.91 GiB, 716.73 GiB × $0.10 = $71.67 a month, before 2026-11-27 (1.7 days on).
        let msk = expand_storage(&grow(true), &found.expansions, "platform");
        assert_eq!(msk.len(), 1);
        let a = &msk[0];
        assert_eq!((a.disk_added_gib, a.monthly_cost_usd), (Some(dec!(716.73)), Some(dec!(71.67))));
        assert_eq!(a.due_by.as_deref(), Some("2026-11-27"));
        assert!(
            a.summary.contains("every broker") && a.summary.contains("by 238.91 GiB before 2026-11-27"),
            "{}",
            a.summary
        );
        // Self-managed: broker 1's volume alone, $23.89 a month.
        let own = expand_storage(&grow(false), &found.expansions, "platform");
        assert_eq!((own[0].disk_added_gib, own[0].monthly_cost_usd), (Some(dec!(238.91)), Some(dec!(23.89))));
        assert!(own[0].summary.starts_with("expand storage on broker 1 by 238.91 GiB"), "{}", own[0].summary);
    }

    #[test]
    /// Derived by hand: without log dirs, an MSK broker's used bytes are its last `KafkaDataLogsDiskUsed` point of the
    /// billed volume, and what its replicas do not account for stays on the disk; its own CloudWatch rates are kept
    /// beside the inventory's.
    fn kafka_data_logs_disk_used_gives_an_msk_brokers_used_bytes() {
        // The young topic (253.125 GiB today, 1 MiB/s) on a 500 GiB broker at 62.5 %: 312.5 GiB used, 59.375 GiB
        // besides the replicas. 80 % (400 GiB) comes when the replicas hold 340.625 GiB: 87.5 GiB ÷ 1 MiB/s = 89,600 s
        // = 1.0 day (1.7 without the metric).
        let young = TopicInputs { retained_bytes: Some(3 * 86_400 * 1_048_576), ..topic(MIB_F, 0) };
        let on = [TopicOnBrokers { topic: "t", owner: "o", internal: false, inputs: &young, trend: Ok(FLAT_MONTH) }];
        let measured = BrokerMetric {
            cluster: "c".into(),
            broker_id: 1,
            bytes_in_per_sec: Some(1000.0),
            bytes_out_per_sec: Some(2000.0),
            disk_used_percent: Some(62.5),
        };
        let disks = ClusterDisks { metrics: vec![&measured], ..cluster_of(vec![(1, None)], dec!(500)) };
        let b = &analyse(&disks, &loads(&on, &Assumptions::default()), &CapacityRules::default()).brokers[0];
        assert_eq!((b.disk_used_bytes, b.disk_used_share), (Some(312 * GIB + GIB / 2), Some(dec!(0.625))));
        assert!(b.disk_basis.contains("last KafkaDataLogsDiskUsed point, 62.5%"), "{}", b.disk_basis);
        assert_eq!(b.days_to_threshold, Some(dec!(1.0)), "{}", b.runway_basis);
        assert_eq!((b.metric_bytes_in_per_sec, b.metric_bytes_out_per_sec), (Some(1000.0), Some(2000.0)));
    }

    #[test]
    /// Derived by hand. Four 500 GiB brokers (racks a, b, c, c), 80 % = 400 GiB, a move aims under 95 % of it (380).
    /// Broker 1 holds `big` (four 60 GiB partitions, RF 2, the other copies on broker 3) and `small` (200 GiB): 440 GiB,
    /// over now. `big` first (240 GiB there): partition 0 cannot go to broker 4, the emptiest, whose rack c already
    /// holds its other copy (on 3), nor to 3 (a copy there); it goes to broker 2 (100 GiB → 160). Broker 1 is then at
    /// 380 GiB, 76 %: one partition is enough.
    fn a_broker_over_the_threshold_moves_partitions_to_brokers_with_room_keeping_racks_apart() {
        let racks: Vec<String> = ["a", "c"].map(String::from).to_vec();
        let compacted = |gib: i64, partitions: usize, brokers: &[&[i64]]| {
            let mut placement = Placement::rack_aware(partitions, brokers[0].len() as i64, &racks);
            for (p, b) in placement.partitions.iter_mut().zip(brokers) {
                p.brokers = b.to_vec();
                p.leader_broker = Some(b[0]);
            }
            TopicInputs {
                compacted: true,
                deletes: false,
                replication_factor: brokers[0].len() as i64,
                placement,
                ..topic(MIB_F, gib)
            }
        };
        let big = compacted(240, 4, &[&[1, 3], &[1, 3], &[1, 3], &[1, 3]]);
        let small = compacted(200, 1, &[&[1]]);
        let other = compacted(100, 1, &[&[2]]);
        let on =
            |name, inputs| TopicOnBrokers { topic: name, owner: "o", internal: false, inputs, trend: Ok(FLAT_MONTH) };
        let topics = [on("big", &big), on("small", &small), on("other", &other)];
        let disks = cluster_of(
            vec![(1, Some("a".into())), (2, Some("b".into())), (3, Some("c".into())), (4, Some("c".into()))],
            dec!(500),
        );
        let rules = CapacityRules::default();
        let loads = loads(&topics, &Assumptions::default());
        let found = analyse(&disks, &loads, &rules);
        assert_eq!(found.brokers[0].days_to_threshold, Some(dec!(0)));
        let planned = moves(&disks, &loads, &topics, &found.brokers, &rules);
        assert_eq!(planned.len(), 1, "{planned:?}");
        let m = &planned[0];
        assert_eq!((m.broker, m.topic.as_str(), m.partitions.as_slice()), (1, "big", &[(0, 2)][..]));
        assert_eq!((m.gib, m.before, m.after), (dec!(60), dec!(0.88), dec!(0.76)));
        let captured = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap().to_utc();
        let g = crate::model::actions::Growth {
            cluster: "c",
            msk: true,
            brokers: 4,
            price: None,
            captured_at: Some(captured),
        };
        let action = &crate::model::actions::move_partitions(&g, &planned, "platform")[0];
        assert_eq!(action.summary, "move partitions 0 of big off broker 1 (to brokers 2) before 2026-11-26");
        assert_eq!((action.disk_freed_gib, action.monthly_saving_usd), (Some(dec!(60)), dec!(0)));
        // A cluster too full to take it: every broker over 380 GiB a year on: no move, expanding is the answer.
        let crowded = compacted(390, 1, &[&[2]]);
        let full = compacted(390, 1, &[&[3]]);
        let fuller = compacted(390, 1, &[&[4]]);
        let topics = [on("big", &big), on("small", &small), on("x", &crowded), on("y", &full), on("z", &fuller)];
        let loads = super::loads(&topics, &Assumptions::default());
        let found = analyse(&disks, &loads, &rules);
        assert!(moves(&disks, &loads, &topics, &found.brokers, &rules).is_empty());
    }

    #[test]
    /// Derived by hand: who fills a broker, by its bytes today and by what it adds over the next 30 days. The young
    /// topic (253.125 GiB, 1 MiB/s) reaches its 591.125 GiB steady state within them: +338 GiB, all the growth; the
    /// compacted one keeps its 100 GiB.
    fn each_owners_share_of_a_brokers_bytes_and_of_its_growth() {
        let young = TopicInputs { retained_bytes: Some(3 * 86_400 * 1_048_576), ..topic(MIB_F, 0) };
        let still = TopicInputs { compacted: true, deletes: false, ..topic(MIB_F, 100) };
        let on = |topic, owner, inputs| TopicOnBrokers { topic, owner, internal: false, inputs, trend: Ok(FLAT_MONTH) };
        let topics = [on("young", "a", &young), on("still", "b", &still)];
        let disks = cluster_of(vec![(1, None)], dec!(2000));
        let b = &analyse(&disks, &loads(&topics, &Assumptions::default()), &CapacityRules::default()).brokers[0];
        let shares: Vec<(&str, Decimal, i64, Option<Decimal>)> =
            b.owners.iter().map(|o| (o.owner.as_str(), o.share, o.growth_bytes, o.growth_share)).collect();
        // 253.125 ÷ 353.125 = 0.7168 of the bytes; 100 ÷ 353.125 = 0.2832.
        assert_eq!(shares, [("a", dec!(0.7168), 338 * GIB, Some(dec!(1))), ("b", dec!(0.2832), 0, Some(dec!(0)))]);
    }

    #[test]
    /// Derived by hand: the least-squares line through (−2, 90), (−1, 100), (0, 110) bytes/s has slope 10 a day and
    /// passes 110 at day 0; over a mean rate of 100 that is a factor of 1.1 now, growing by 0.1 a day. Too few points
    /// fit nothing.
    fn a_trend_is_the_least_squares_line_over_the_mean_rate() {
        let points = [(-2.0, 90.0), (-1.0, 100.0), (0.0, 110.0)];
        let t = Trend::fit(&points, 100.0, 3).unwrap();
        assert!((t.at - 1.1).abs() < 1e-12 && (t.per_day - 0.1).abs() < 1e-12, "{t:?}");
        assert_eq!(Trend::fit(&points, 100.0, 7), None);
        assert_eq!(Trend::fit(&[(0.0, 1.0), (0.0, 2.0), (0.0, 3.0)], 2.0, 3), None, "all at one time");
    }

    #[test]
    /// Derived by hand. Unlimited retention, 100 GiB growing by 1 MiB/s today, the rate rising by 1 % of it a day:
    /// after t days it holds 100 GiB + 84.375 GiB × (t + 0.005 t²); 80 % of 1,000 GiB is reached when
    /// t + 0.005 t² = 700 ÷ 84.375 = 8.2963, t = (−1 + √(1 + 0.02 × 8.2963)) ÷ 0.01 = 7.98: **8.0 days**, against 8.3
    /// at a flat rate. With too few points the runway is unknown, never a date.
    fn a_growing_write_rate_brings_the_day_forward_and_too_few_points_give_none() {
        let unlimited = TopicInputs { retention_ms: Some(-1), ..topic(MIB_F, 100) };
        let growing = Fitted { trend: Trend { at: 1.0, per_day: 0.01 }, points: 30, from: "daily metric points" };
        let (days, basis, _) = runway_with(&unlimited, 1000, Ok(growing));
        assert_eq!(days, Some(dec!(8.0)), "{basis}");
        assert!(basis.contains("write rates trending by a least-squares fit over 30 daily metric points"), "{basis}");
        // A 7-day retention topic at steady state (591.125 GiB for 1 MiB/s, as in the first test) on a 1,000 GiB disk
        // never crosses at a flat rate; its rate rising 1 % a day raises its steady state with it: 800 GiB when the
        // rate is 800 ÷ 591.125 = 1.3534 times today's, day 35.3 (the replica keeps up with its moving steady state).
        let settled = TopicInputs { retained_bytes: Some(591 * GIB + GIB / 8), ..topic(MIB_F, 0) };
        assert_eq!(runway_of(&settled, 1000).0, None);
        let (days, basis, _) = runway_with(&settled, 1000, Ok(growing));
        assert_eq!(days, Some(dec!(35.3)), "{basis}");
        let few = NoTrend { topic: "t".into(), points: 2, min: 7 };
        let (days, basis, _) = runway_with(&unlimited, 1000, Err(few));
        assert_eq!(days, None);
        assert!(basis.starts_with("unknown: `t` has 2 write-rate point(s) and a trend needs 7"), "{basis}");
    }

    #[test]
    /// Derived by hand: each limit as a share of what is planned for, and the largest binds.
    fn the_limit_nearest_what_is_planned_for_binds() {
        let mib = MIB_F;
        let limits = Limits {
            disk_share: Some(dec!(0.4)),
            threshold: dec!(0.8),
            replicas: 900,
            partitions_limit: Some(1000),
            bytes_in_per_sec: 60.0 * mib,
            bytes_out_per_sec: 100.0 * mib,
            write_limit_mibps: dec!(250),
            network_limit_mibps: Some(dec!(89.407)),
            target: dec!(0.8),
        };
        // Disk 0.4 ÷ 0.8 = 0.5; partitions 900 ÷ 1,000 = 0.9; writes 60 ÷ (250 × 0.8) = 0.3; network: out, the busier
        // way, 100 ÷ (89.407 × 0.8 = 71.5256) = 1.3981: an m5.large's 0.75 Gbps binds first.
        assert_eq!(binding(&limits), Some((CapacityLimit::Network, dec!(1.3981))));
        // Without a known baseline the network is no bound: partitions bind.
        let unknown = Limits { network_limit_mibps: None, ..limits };
        assert_eq!(binding(&unknown), Some((CapacityLimit::Partitions, dec!(0.9))));
    }

    #[test]
    /// Derived by hand: a topic tiered today keeps only its local window on the brokers, even with unlimited
    /// retention (KIP-405: `local.retention.ms`), and never grows there without bound.
    fn a_tiered_topic_with_unlimited_retention_heads_for_its_local_window() {
        // 1 KiB/s, 1 day local, unlimited retention: 86,400 KiB on the broker at steady state, 10 GiB held
        // locally today (so it is over it and stays put).
        let tiered = TopicInputs { retention_ms: Some(-1), tiered_today: Some(DAY_MS), ..topic(1024.0, 10) };
        let f = fills(&tiered, &Assumptions::default()).unwrap();
        assert_eq!(f[0].steady, Some(dec!(88_473_600)));
    }
}
