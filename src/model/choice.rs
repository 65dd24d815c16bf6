//! Which placement is cheapest (for a topic, or an owner's topics), what moving to it saves, and the retention at
//! which the choice flips. Pure decimal arithmetic on scenario totals.
//!
//! Retention enters every scenario's cost through the bytes retained, and each scenario is affine in them: storage
//! grows with retention, traffic, requests and compute do not. So a scenario's monthly cost at retention `k × R`
//! (today's retention `R`) is `cost(1) + (cost(2) − cost(1)) × (k − 1)`, known from two evaluations. The flip point
//! is the nearest `k` (up or down from 1) where another scenario's line crosses the cheapest one's. For tiered
//! storage this holds while retention is at least the local window (below it nothing leaves the brokers' disks).
//!
//! Throughput the same way: each scenario priced again at twice today's write rate (with the bytes a time-bound
//! retention keeps at that rate, and the cluster's totals grown by the topic's extra traffic), and the nearest
//! multiple of the rate where the lines cross. Compute shares and sized broker counts are not quite affine in the
//! rate; the line through ×1 and ×2 is the approximation, and the report says "about".

use rust_decimal::Decimal;

/// The four placements the model prices.
pub use crate::report_model::Scenario;

/// A scenario's monthly cost today, at twice today's retention, and at twice today's write rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub scenario: Scenario,
    pub at_1: Decimal,
    pub at_2: Decimal,
    pub rate_2: Decimal,
}

/// Which way a line is followed: retention or write rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    Retention,
    Rate,
}

impl Line {
    fn slope(&self, axis: Axis) -> Decimal {
        match axis {
            Axis::Retention => self.at_2 - self.at_1,
            Axis::Rate => self.rate_2 - self.at_1,
        }
    }
}

/// Where the cheapest choice changes: to which scenario, at which multiple of today's retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    pub to: Scenario,
    /// Multiple of today's retention (below 1: shorter) at which `to` becomes the cheapest.
    pub retention_factor: Decimal,
    /// The same as a retention, when today's retention is finite.
    pub retention_ms: Option<i64>,
}

/// Where the cheapest choice changes as the write rate grows or shrinks, retention unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateFlip {
    pub to: Scenario,
    /// Multiple of today's write rate at which `to` becomes the cheapest (about: see the module's note).
    pub rate_factor: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub cheapest: Scenario,
    /// Today's cost minus the cheapest scenario's (0 when today's placement is the cheapest).
    pub saving_usd: Decimal,
    pub flip: Option<Flip>,
    /// The nearest flip by write rate; None when no line crosses at a positive rate.
    pub rate_flip: Option<RateFlip>,
}

/// The cheapest of `lines` (ties go to `prefer`, today's placement: the smaller change), the saving against
/// `today_usd`, and the nearest flip. `None` without lines or without a complete cost for today.
pub fn choose(
    today_usd: Option<Decimal>,
    prefer: Scenario,
    lines: &[Line],
    retention_ms: Option<i64>,
) -> Option<Choice> {
    let today = today_usd?;
    let best = lines
        .iter()
        .min_by(|a, b| a.at_1.cmp(&b.at_1).then_with(|| (a.scenario != prefer).cmp(&(b.scenario != prefer))))?;
    let flip = nearest_flip(best, lines, Axis::Retention).map(|(to, k)| Flip {
        to,
        retention_factor: k.round_dp(4),
        retention_ms: retention_ms.filter(|r| *r > 0).map(|r| super::cost::whole(Decimal::from(r) * k)),
    });
    let rate_flip = nearest_flip(best, lines, Axis::Rate).map(|(to, k)| RateFlip { to, rate_factor: k.round_dp(4) });
    Some(Choice { cheapest: best.scenario, saving_usd: (today - best.at_1).max(Decimal::ZERO), flip, rate_flip })
}

/// For a topic: today's cost is its current scenario's line.
pub fn choose_for_topic(current: Scenario, lines: &[Line], retention_ms: Option<i64>) -> Option<Choice> {
    let today = lines.iter().find(|l| l.scenario == current).map(|l| l.at_1);
    choose(today, current, lines, retention_ms)
}

/// Lines summed over several topics (an owner's), scenario by scenario; a scenario missing from any topic's lines
/// is dropped, except that a topic that cannot be tiered counts its broker-local line as its tiered one.
pub fn sum_lines<'a>(topics: impl IntoIterator<Item = (&'a [Line], bool)>) -> Vec<Line> {
    let scenarios = [Scenario::BrokerLocal, Scenario::TieredStorage, Scenario::SharedStorage, Scenario::Express];
    let mut sums: Vec<Option<Line>> = scenarios
        .into_iter()
        .map(|scenario| Some(Line { scenario, at_1: Decimal::ZERO, at_2: Decimal::ZERO, rate_2: Decimal::ZERO }))
        .collect();
    for (lines, tierable) in topics {
        for slot in sums.iter_mut() {
            let Some(sum) = slot else { continue };
            let own = lines.iter().find(|l| l.scenario == sum.scenario);
            let stand_in = (sum.scenario == Scenario::TieredStorage && !tierable)
                .then(|| lines.iter().find(|l| l.scenario == Scenario::BrokerLocal))
                .flatten();
            match own.or(stand_in) {
                Some(l) => {
                    sum.at_1 += l.at_1;
                    sum.at_2 += l.at_2;
                    sum.rate_2 += l.rate_2;
                }
                None => *slot = None,
            }
        }
    }
    sums.into_iter().flatten().collect()
}

/// The crossing nearest to k = 1 (in ratio: ×2 and ÷2 are as near) of another line with `best`'s, along `axis`.
fn nearest_flip(best: &Line, lines: &[Line], axis: Axis) -> Option<(Scenario, Decimal)> {
    let mut found: Option<(Scenario, Decimal)> = None;
    for other in lines.iter().filter(|l| l.scenario != best.scenario) {
        let gap = other.at_1 - best.at_1; // ≥ 0
        let closing = best.slope(axis) - other.slope(axis);
        if closing.is_zero() {
            continue;
        }
        let k = Decimal::ONE + gap / closing;
        if k <= Decimal::ZERO || k == Decimal::ONE {
            continue;
        }
        let distance = |k: Decimal| if k >= Decimal::ONE { k } else { Decimal::ONE / k };
        if found.is_none_or(|(_, f)| distance(k) < distance(f)) {
            found = Some((other.scenario, k));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    /// A line whose cost does not move with the write rate (the retention tests).
    fn line(scenario: Scenario, at_1: Decimal, at_2: Decimal) -> Line {
        Line { scenario, at_1, at_2, rate_2: at_1 }
    }

    #[test]
    fn the_write_rate_at_which_the_choice_flips_by_hand() {
        // Broker-local: $100 of compute the rate does not move + $20 of cross-AZ that doubles with it → 100 + 20k.
        // Shared: $60 + $50 of S3 requests and sized compute that grow with it → 60 + 50k. Shared is cheaper today
        // (110 < 120); equal where 100 + 20k = 60 + 50k → k = 40/30 = 1.3333: a third more traffic flips it back.
        let lines = [
            Line { scenario: Scenario::BrokerLocal, at_1: dec!(120), at_2: dec!(120), rate_2: dec!(140) },
            Line { scenario: Scenario::SharedStorage, at_1: dec!(110), at_2: dec!(110), rate_2: dec!(160) },
        ];
        let c = choose_for_topic(Scenario::BrokerLocal, &lines, None).unwrap();
        assert_eq!(c.cheapest, Scenario::SharedStorage);
        assert_eq!(c.rate_flip, Some(RateFlip { to: Scenario::BrokerLocal, rate_factor: dec!(1.3333) }));
        assert_eq!(c.flip, None, "retention moves neither line");
    }

    #[test]
    fn cheapest_saving_and_flip_by_hand() {
        // Broker-local: $10 fixed + $30 of storage at today's retention (7 days) → 10 + 30k.
        // Shared: $25 fixed + $3 of storage → 25 + 3k. Equal where 10 + 30k = 25 + 3k → k = 15/27 = 0.5556,
        // i.e. at 3.89 days: above it shared storage is cheaper.
        let lines =
            [line(Scenario::BrokerLocal, dec!(40), dec!(70)), line(Scenario::SharedStorage, dec!(28), dec!(31))];
        let week = 7 * 24 * 3_600_000;
        let c = choose_for_topic(Scenario::BrokerLocal, &lines, Some(week)).unwrap();
        assert_eq!(c.cheapest, Scenario::SharedStorage);
        assert_eq!(c.saving_usd, dec!(12));
        let flip = c.flip.unwrap();
        assert_eq!(flip.to, Scenario::BrokerLocal);
        assert_eq!(flip.retention_factor, dec!(0.5556));
        assert_eq!(flip.retention_ms, Some(336_000_000)); // 604,800,000 × 15/27
    }

    #[test]
    fn the_nearest_crossing_wins_and_parallel_lines_never_cross() {
        let lines = [
            line(Scenario::BrokerLocal, dec!(10), dec!(20)),   // 10k
            line(Scenario::TieredStorage, dec!(15), dec!(19)), // 11 + 4k: crosses at k = 11/6 = 1.8333
            line(Scenario::SharedStorage, dec!(30), dec!(31)), // 29 + k: crosses at k = 29/9 = 3.2222
        ];
        let c = choose_for_topic(Scenario::BrokerLocal, &lines, None).unwrap();
        assert_eq!(c.cheapest, Scenario::BrokerLocal);
        assert_eq!(c.saving_usd, dec!(0));
        assert_eq!(c.flip.as_ref().map(|f| (f.to, f.retention_factor)), Some((Scenario::TieredStorage, dec!(1.8333))));
        assert_eq!(c.flip.unwrap().retention_ms, None, "no finite retention to scale");

        let parallel =
            [line(Scenario::BrokerLocal, dec!(10), dec!(20)), line(Scenario::SharedStorage, dec!(12), dec!(22))];
        assert_eq!(choose_for_topic(Scenario::BrokerLocal, &parallel, None).unwrap().flip, None);
    }

    #[test]
    fn ties_keep_todays_placement_and_an_incomplete_today_gives_no_choice() {
        let lines =
            [line(Scenario::BrokerLocal, dec!(10), dec!(20)), line(Scenario::SharedStorage, dec!(10), dec!(12))];
        assert_eq!(choose_for_topic(Scenario::BrokerLocal, &lines, None).unwrap().cheapest, Scenario::BrokerLocal);
        assert_eq!(choose_for_topic(Scenario::TieredStorage, &lines, None), None);
    }

    #[test]
    fn an_owners_lines_sum_its_topics_and_untierable_topics_stay_local() {
        let a = [line(Scenario::BrokerLocal, dec!(10), dec!(20)), line(Scenario::SharedStorage, dec!(8), dec!(9))];
        let b = [
            line(Scenario::BrokerLocal, dec!(5), dec!(6)),
            line(Scenario::TieredStorage, dec!(4), dec!(5)),
            line(Scenario::SharedStorage, dec!(7), dec!(8)),
        ];
        // `a` is compacted (cannot be tiered): its broker-local line stands in for tiered.
        let sum = sum_lines([(&a[..], false), (&b[..], true)]);
        assert_eq!(
            sum,
            [
                line(Scenario::BrokerLocal, dec!(15), dec!(26)),
                line(Scenario::TieredStorage, dec!(14), dec!(25)),
                line(Scenario::SharedStorage, dec!(15), dec!(17)),
            ]
        );
        // A tierable topic whose tiered cost is incomplete drops the scenario for the owner.
        assert_eq!(sum_lines([(&a[..], true), (&b[..], true)]).len(), 2);
    }
}
