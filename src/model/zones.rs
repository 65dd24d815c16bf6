//! Where partition leaders, replicas and clients sit, and the share of traffic that crosses a zone. Pure.
//!
//! A client reaches a broker without crossing a zone only when the broker is in the client's zone. So every crossing
//! share here is `1 − P(same zone)`, with the leader's (or a replica's) zone taken from the real placement, weighted
//! by each partition's share of the topic's traffic, and the client's zone from measurement or config. The
//! derivations are in `docs/cost-model.md` ("Who crosses a zone"); the tests below recompute hand-built cases.

pub use crate::settings::{ClientZones, ZoneShare};
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

/// What a partition's share of its topic's traffic is taken from: per-partition write rates are not collected.
pub use crate::report_model::{WeightBasis, ZoneSource};

/// One partition: its share of the topic's traffic, its leader's zone and its followers' zones (`None`: unknown,
/// the broker reports no rack; a partition without a leader has `leader: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlace {
    pub share: Decimal,
    pub leader: Option<String>,
    pub followers: Vec<Option<String>>,
    /// The brokers holding a replica (empty when not known, as in a placement a what-if made up), and which of
    /// them leads.
    pub brokers: Vec<i64>,
    pub leader_broker: Option<i64>,
}

/// Where a topic's partitions are. An empty list means the partitions were not collected: every share is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub partitions: Vec<PartitionPlace>,
    pub basis: WeightBasis,
}

/// One partition as collected: leader zone, follower zones, size and retained offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRow {
    pub leader: Option<String>,
    pub followers: Vec<Option<String>>,
    /// The brokers holding a replica, and the leader's.
    pub brokers: Vec<i64>,
    pub leader_broker: Option<i64>,
    pub size_bytes: Option<i64>,
    pub messages: Option<i64>,
}

impl Placement {
    /// Weights the partitions by bytes when every size is known and they are not all zero, else by retained
    /// offsets on the same terms, else evenly.
    pub fn weigh(rows: Vec<PartitionRow>) -> Placement {
        let total = |f: fn(&PartitionRow) -> Option<i64>| -> Option<Decimal> {
            let mut sum = Decimal::ZERO;
            for r in &rows {
                sum += Decimal::from(f(r)?.max(0));
            }
            (sum > Decimal::ZERO).then_some(sum)
        };
        type Pick = fn(&PartitionRow) -> Option<i64>;
        let (basis, total, pick): (WeightBasis, Decimal, Pick) = if let Some(t) = total(|r| r.size_bytes) {
            (WeightBasis::Bytes, t, |r| r.size_bytes)
        } else if let Some(t) = total(|r| r.messages) {
            (WeightBasis::Messages, t, |r| r.messages)
        } else {
            (WeightBasis::Even, Decimal::from(rows.len().max(1) as i64), |_| Some(1))
        };
        let partitions = rows
            .into_iter()
            .map(|r| PartitionPlace {
                share: Decimal::from(pick(&r).unwrap_or(0).max(0)) / total,
                leader: r.leader,
                followers: r.followers,
                brokers: r.brokers,
                leader_broker: r.leader_broker,
            })
            .collect();
        Placement { partitions, basis }
    }

    /// What is unknown about the placement, for the breakdown's `missing` list; `None` when leaders are known.
    pub fn unknown_leaders(&self) -> Option<String> {
        if self.partitions.is_empty() {
            return Some("no partition was collected for this topic".into());
        }
        let n = self.partitions.iter().filter(|p| p.leader.is_none()).count();
        (n > 0).then(|| format!("{n} partition(s) have no leader or a leader whose broker reports no rack"))
    }

    /// The same, for the followers' zones.
    pub fn unknown_followers(&self) -> Option<String> {
        self.unknown_leaders().or_else(|| {
            let n = self.partitions.iter().filter(|p| p.followers.iter().any(Option::is_none)).count();
            (n > 0).then(|| format!("{n} partition(s) have a follower whose broker reports no rack"))
        })
    }

    /// Follower copies written across a zone per byte produced: `Σ_p w_p × |followers of p outside the leader's
    /// zone|`. `None` when a zone is unknown.
    pub fn replication_crossings(&self) -> Option<Decimal> {
        if self.unknown_followers().is_some() {
            return None;
        }
        // Summed per count of copies across, then multiplied: one product per count, not per partition.
        let mut by_count: Vec<(usize, Decimal)> = Vec::with_capacity(3);
        for p in &self.partitions {
            let across = p.followers.iter().filter(|f| f.as_deref() != p.leader.as_deref()).count();
            match by_count.iter_mut().find(|(n, _)| *n == across) {
                Some((_, w)) => *w += p.share,
                None => by_count.push((across, p.share)),
            }
        }
        Some(by_count.into_iter().map(|(n, w)| w * Decimal::from(n as i64)).sum())
    }

    /// A topic of `partitions` partitions whose leaders take the zones in turn and whose `rf − 1` followers sit in
    /// the next zones after their leader's: the placement of Kafka's rack-aware assignment, with equal shares.
    pub fn rack_aware(partitions: usize, rf: i64, zones: &[String]) -> Placement {
        let share = Decimal::ONE / Decimal::from(partitions.max(1) as i64);
        let leaders = Placement {
            partitions: (0..partitions)
                .map(|i| PartitionPlace {
                    share,
                    leader: zones.get(i % zones.len().max(1)).cloned(),
                    followers: vec![],
                    brokers: vec![],
                    leader_broker: None,
                })
                .collect(),
            basis: WeightBasis::Even,
        };
        leaders.with_replication_factor(rf, zones)
    }

    /// The placement a changed replication factor would get: each leader stays, and its followers go to the next
    /// zones after the leader's, in turn (as Kafka's rack-aware assignment alternates racks). A partition whose
    /// leader's zone is unknown keeps an unknown placement.
    pub fn with_replication_factor(&self, rf: i64, broker_zones: &[String]) -> Placement {
        let partitions = self
            .partitions
            .iter()
            .map(|p| {
                let followers = match (&p.leader, broker_zones.iter().position(|z| Some(z) == p.leader.as_ref())) {
                    (Some(_), Some(at)) => (1..rf.max(1) as usize)
                        .map(|k| Some(broker_zones[(at + k) % broker_zones.len()].clone()))
                        .collect(),
                    _ => vec![None; (rf.max(1) - 1) as usize],
                };
                // The brokers a changed factor would use are not known.
                let brokers = if followers.len() + 1 == p.brokers.len() { p.brokers.clone() } else { vec![] };
                PartitionPlace { followers, brokers, ..p.clone() }
            })
            .collect();
        Placement { partitions, basis: self.basis }
    }
}

/// Clients' zones and where that came from. `zones: None` = evenly over the brokers' zones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clients {
    pub zones: Option<ClientZones>,
    pub source: ZoneSource,
}

impl Clients {
    /// For the report: `evenly over the brokers' zones`, `2 zone(s), not named`, `use1-az1 75.0%, use1-az2 25.0%`;
    /// a named zone where no broker runs says so (a zone name where the racks are AZ ids reads that way too).
    pub fn describe(&self, broker_zones: &[String]) -> String {
        match &self.zones {
            None => "evenly over the brokers' zones".into(),
            Some(ClientZones::Spread(n)) => format!("{n} zone(s), not named"),
            Some(ClientZones::Named(shares)) => shares
                .iter()
                .map(|s| {
                    let alone = if broker_zones.contains(&s.zone) { "" } else { " (no broker)" };
                    format!("{} {}{alone}", s.zone, crate::format::percent(s.share))
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The probability that a client runs in each zone. Zones without a broker are kept by name (or pooled in
/// `elsewhere` when unnamed): no broker is ever in them, so their traffic always crosses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub zones: BTreeMap<String, Decimal>,
    pub elsewhere: Decimal,
}

impl Distribution {
    pub fn of(clients: &Clients, broker_zones: &[String]) -> Distribution {
        let b = Decimal::from(broker_zones.len().max(1) as i64);
        let even = |each: Decimal| broker_zones.iter().map(|z| (z.clone(), each)).collect::<BTreeMap<_, _>>();
        match &clients.zones {
            None => Distribution { zones: even(Decimal::ONE / b), elsewhere: Decimal::ZERO },
            Some(ClientZones::Spread(n)) => {
                let n = Decimal::from((*n).max(1));
                if n <= b {
                    Distribution { zones: even(Decimal::ONE / b), elsewhere: Decimal::ZERO }
                } else {
                    Distribution { zones: even(Decimal::ONE / n), elsewhere: (n - b) / n }
                }
            }
            Some(ClientZones::Named(shares)) => {
                let mut zones = BTreeMap::new();
                for s in shares {
                    *zones.entry(s.zone.clone()).or_insert(Decimal::ZERO) += s.share;
                }
                Distribution { zones, elsewhere: Decimal::ZERO }
            }
        }
    }

    fn at(&self, zone: &str) -> Decimal {
        self.zones.get(zone).copied().unwrap_or_default()
    }

    /// Share of clients in a zone without any broker.
    pub fn without_broker(&self, broker_zones: &[String]) -> Decimal {
        let named: Decimal = self.zones.iter().filter(|(z, _)| !broker_zones.contains(z)).map(|(_, s)| *s).sum();
        self.elsewhere + named
    }

    /// Clients talking to each partition's leader: `1 − Σ_p w_p × P(client in leader's zone)`.
    pub fn leader_crossing(&self, placement: &Placement) -> Option<Decimal> {
        if placement.unknown_leaders().is_some() {
            return None;
        }
        // The same sum taken zone by zone, `Σ_z P(client in z) × Σ_{p led from z} w_p`: one product per zone
        // rather than per partition (a topic is priced a dozen times, and a product of two 28-digit shares is the
        // dearest step of it).
        let mut led: Vec<(&str, Decimal)> = Vec::with_capacity(4);
        for p in &placement.partitions {
            let zone = p.leader.as_deref().unwrap_or_default();
            match led.iter_mut().find(|(z, _)| *z == zone) {
                Some((_, w)) => *w += p.share,
                None => led.push((zone, p.share)),
            }
        }
        let stays: Decimal = led.iter().map(|(z, w)| *w * self.at(z)).sum();
        Some(exact(Decimal::ONE - stays))
    }

    /// Consumers fetching from the nearest replica (KIP-392): local when any replica of the partition is in their
    /// zone, `1 − Σ_p w_p × P(client in a zone holding a replica of p)` (a zone holding two replicas counts once).
    pub fn follower_fetch_crossing(&self, placement: &Placement) -> Option<Decimal> {
        let local = |p: &PartitionPlace| {
            let zones: BTreeSet<&str> =
                p.leader.iter().chain(p.followers.iter().flatten()).map(String::as_str).collect();
            zones.into_iter().map(|z| self.at(z)).sum::<Decimal>()
        };
        crossing(placement, placement.unknown_followers(), local)
    }

    /// Shared storage with zone-aware routing: a client is served by a broker in its own zone when there is one.
    pub fn zone_routed_crossing(&self, broker_zones: &[String]) -> Decimal {
        exact(self.without_broker(broker_zones))
    }

    /// Clients talking to a broker picked in proportion to the brokers per zone (stateless brokers spread
    /// partitions evenly): `1 − Σ_z P(client in z) × brokers in z ÷ brokers`.
    pub fn broker_routed_crossing(&self, brokers_per_zone: &[(String, i64)]) -> Decimal {
        let total: i64 = brokers_per_zone.iter().map(|(_, n)| n).sum();
        if total <= 0 {
            return Decimal::ONE;
        }
        let local: Decimal =
            brokers_per_zone.iter().map(|(z, n)| self.at(z) * Decimal::from(*n) / Decimal::from(total)).sum();
        exact(Decimal::ONE - local)
    }
}

/// `1 − Σ_p w_p × local(p)`, or `None` when `unknown` names a zone the sum needs.
fn crossing(
    placement: &Placement,
    unknown: Option<String>,
    local: impl Fn(&PartitionPlace) -> Decimal,
) -> Option<Decimal> {
    if unknown.is_some() {
        return None;
    }
    let stays: Decimal = placement.partitions.iter().map(|p| p.share * local(p)).sum();
    Some(exact(Decimal::ONE - stays))
}

/// Shares are sums of thirds and the like: 12 places drop the last-digit noise of 28-digit division (a ⅓ + ⅓ + ⅓
/// that comes to 0.999…9) without moving any figure the report shows.
fn exact(share: Decimal) -> Decimal {
    share.round_dp(12).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn zones(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn part(share: Decimal, leader: &str, followers: &[&str]) -> PartitionPlace {
        PartitionPlace {
            share,
            leader: Some(leader.into()),
            brokers: vec![],
            leader_broker: None,
            followers: followers.iter().map(|f| Some(f.to_string())).collect(),
        }
    }

    /// Three partitions, RF 3, one leader in each of a, b, c: the usual balanced 3-AZ topic.
    fn balanced() -> Placement {
        let third = Decimal::ONE / dec!(3);
        Placement {
            partitions: vec![
                part(third, "a", &["b", "c"]),
                part(third, "b", &["c", "a"]),
                part(third, "c", &["a", "b"]),
            ],
            basis: WeightBasis::Even,
        }
    }

    fn named(shares: &[(&str, Decimal)]) -> Clients {
        Clients {
            zones: Some(ClientZones::Named(
                shares.iter().map(|(z, s)| ZoneShare { zone: z.to_string(), share: *s }).collect(),
            )),
            source: ZoneSource::Configured,
        }
    }

    const ABC: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn clients_in_one_zone_cross_to_two_thirds_of_balanced_leaders() {
        // All clients in a; leaders one third each in a, b, c: two of three partitions are led elsewhere.
        let d = Distribution::of(&named(&[("a", dec!(1))]), &zones(&ABC));
        assert_eq!(d.leader_crossing(&balanced()).unwrap().round_dp(9), dec!(0.666666667));
        // The same with the zone unnamed ("1 zone", which one unknown): expected over a, b, c, still 2/3.
        let d = Distribution::of(&Clients { zones: Some(ClientZones::Spread(1)), ..Clients::default() }, &zones(&ABC));
        assert_eq!(d.leader_crossing(&balanced()).unwrap().round_dp(9), dec!(0.666666667));
    }

    #[test]
    fn clients_in_two_of_three_zones_follow_the_leaders_not_one_half() {
        // Clients ½ in a, ½ in b; leaders ⅓ each: P(same zone) = ½·⅓ + ½·⅓ = ⅓, crossing ⅔ (the old formula: ½).
        let d = Distribution::of(&named(&[("a", dec!(0.5)), ("b", dec!(0.5))]), &zones(&ABC));
        assert_eq!(d.leader_crossing(&balanced()).unwrap().round_dp(9), dec!(0.666666667));
    }

    #[test]
    fn skewed_leaders_and_uneven_client_weights() {
        // Leaders: a carries 0.6 of the traffic, b 0.3, c 0.1. Clients: 0.75 in a, 0.25 in c.
        // P(same zone) = 0.75 × 0.6 + 0.25 × 0.1 = 0.475; crossing 0.525.
        let p = Placement {
            partitions: vec![
                part(dec!(0.6), "a", &["b", "c"]),
                part(dec!(0.3), "b", &["c", "a"]),
                part(dec!(0.1), "c", &["a", "b"]),
            ],
            basis: WeightBasis::Bytes,
        };
        let d = Distribution::of(&named(&[("a", dec!(0.75)), ("c", dec!(0.25))]), &zones(&ABC));
        assert_eq!(d.leader_crossing(&p), Some(dec!(0.525)));
        // Every partition has a replica in a and c: fetching from followers, nobody crosses.
        assert_eq!(d.follower_fetch_crossing(&p), Some(dec!(0)));
    }

    #[test]
    fn a_zone_without_brokers_always_crosses() {
        // Brokers in a, b, c; clients ½ in a, ½ in d (no broker). Leader reads: ½ × ⅓ local, crossing 5/6.
        let d = Distribution::of(&named(&[("a", dec!(0.5)), ("d", dec!(0.5))]), &zones(&ABC));
        assert_eq!(d.leader_crossing(&balanced()).unwrap().round_dp(9), dec!(0.833333333));
        // Fetching from followers: every partition has a replica in a, none in d: ½ crosses.
        assert_eq!(d.follower_fetch_crossing(&balanced()), Some(dec!(0.5)));
        // Zone-aware shared storage: the d half has no broker to be routed to: ½ crosses.
        assert_eq!(d.zone_routed_crossing(&zones(&ABC)), dec!(0.5));
        // "4 zones, unnamed" over 3 broker zones: ¼ of clients have no broker at all; leader reads cross
        // 1 − 3 × ¼ × ⅓ = ¾.
        let d = Distribution::of(&Clients { zones: Some(ClientZones::Spread(4)), ..Clients::default() }, &zones(&ABC));
        assert_eq!(d.leader_crossing(&balanced()), Some(dec!(0.75)));
        assert_eq!(d.zone_routed_crossing(&zones(&ABC)), dec!(0.25));
    }

    #[test]
    fn fetch_from_follower_is_local_only_where_a_replica_sits() {
        // RF 2 over three zones: partition 0 on (a, b), 1 on (b, c), 2 on (c, a). Clients evenly in a, b, c: each
        // partition has replicas in 2 of 3 zones: crossing ⅓.
        let third = Decimal::ONE / dec!(3);
        let rf2 = Placement {
            partitions: vec![part(third, "a", &["b"]), part(third, "b", &["c"]), part(third, "c", &["a"])],
            basis: WeightBasis::Even,
        };
        let even = Distribution::of(&Clients::default(), &zones(&ABC));
        assert_eq!(even.follower_fetch_crossing(&rf2).unwrap().round_dp(9), dec!(0.333333333));
        // Clients only in b: partitions 0 and 1 have a replica in b, partition 2 does not: ⅓ crosses.
        let b = Distribution::of(&named(&[("b", dec!(1))]), &zones(&ABC));
        assert_eq!(b.follower_fetch_crossing(&rf2).unwrap().round_dp(9), dec!(0.333333333));
        // RF 3 but two replicas share zone a: partition on (a, a, b): clients in c always cross.
        let shared = Placement { partitions: vec![part(dec!(1), "a", &["a", "b"])], basis: WeightBasis::Even };
        let c = Distribution::of(&named(&[("c", dec!(1))]), &zones(&ABC));
        assert_eq!(c.follower_fetch_crossing(&shared), Some(dec!(1)));
    }

    #[test]
    fn replication_crosses_once_per_follower_outside_the_leaders_zone() {
        // RF 3 over three zones: two crossings per byte.
        assert_eq!(balanced().replication_crossings().unwrap().round_dp(9), dec!(2));
        // RF 1: no followers, nothing replicated.
        let rf1 = Placement { partitions: vec![part(dec!(1), "a", &[])], basis: WeightBasis::Even };
        assert_eq!(rf1.replication_crossings(), Some(dec!(0)));
        // RF 2: one crossing.
        let rf2 = Placement { partitions: vec![part(dec!(1), "a", &["b"])], basis: WeightBasis::Even };
        assert_eq!(rf2.replication_crossings(), Some(dec!(1)));
        // RF 3 with a follower in the leader's zone, weighted: 0.25 × 1 (a, a, b) + 0.75 × 2 (b, c, a) = 1.75.
        let mixed = Placement {
            partitions: vec![part(dec!(0.25), "a", &["a", "b"]), part(dec!(0.75), "b", &["c", "a"])],
            basis: WeightBasis::Bytes,
        };
        assert_eq!(mixed.replication_crossings(), Some(dec!(1.75)));
    }

    #[test]
    fn weights_come_from_bytes_then_offsets_then_evenly() {
        let row = |size: Option<i64>, messages: Option<i64>| PartitionRow {
            brokers: vec![],
            leader_broker: None,
            leader: Some("a".into()),
            followers: vec![],
            size_bytes: size,
            messages,
        };
        let p = Placement::weigh(vec![row(Some(300), Some(1)), row(Some(100), Some(3))]);
        assert_eq!(p.basis, WeightBasis::Bytes);
        assert_eq!(p.partitions.iter().map(|p| p.share).collect::<Vec<_>>(), vec![dec!(0.75), dec!(0.25)]);
        // A size missing: offsets.
        let p = Placement::weigh(vec![row(None, Some(1)), row(Some(100), Some(3))]);
        assert_eq!(p.basis, WeightBasis::Messages);
        assert_eq!(p.partitions.iter().map(|p| p.share).collect::<Vec<_>>(), vec![dec!(0.25), dec!(0.75)]);
        // Nothing known (or all empty): evenly.
        let p = Placement::weigh(vec![row(Some(0), None), row(Some(0), Some(0))]);
        assert_eq!(p.basis, WeightBasis::Even);
        assert_eq!(p.partitions.iter().map(|p| p.share).collect::<Vec<_>>(), vec![dec!(0.5), dec!(0.5)]);
    }

    #[test]
    fn unknown_zones_are_unknown_not_local() {
        let mut p = balanced();
        p.partitions[1].followers[0] = None;
        let d = Distribution::of(&Clients::default(), &zones(&ABC));
        assert!(d.leader_crossing(&p).is_some(), "leaders are all known");
        assert_eq!(d.follower_fetch_crossing(&p), None);
        assert_eq!(p.replication_crossings(), None);
        p.partitions[0].leader = None;
        assert_eq!(d.leader_crossing(&p), None);
        let none = Placement { partitions: vec![], basis: WeightBasis::Even };
        assert_eq!(d.leader_crossing(&none), None, "no partitions collected is unknown, not zero");
    }

    #[test]
    fn a_changed_replication_factor_places_followers_in_the_next_zones() {
        let to2 = balanced().with_replication_factor(2, &zones(&ABC));
        assert_eq!(to2.partitions[2].followers, vec![Some("a".to_string())]);
        assert_eq!(to2.replication_crossings().unwrap().round_dp(9), dec!(1));
        // RF 4 over three zones: the fourth replica shares the leader's zone: still two crossings.
        let to4 = balanced().with_replication_factor(4, &zones(&ABC));
        assert_eq!(to4.replication_crossings().unwrap().round_dp(9), dec!(2));
    }

    #[test]
    fn shared_storage_routing() {
        // Zone-aware: clients in a broker's zone stay local.
        let d = Distribution::of(&named(&[("a", dec!(1))]), &zones(&ABC));
        assert_eq!(d.zone_routed_crossing(&zones(&ABC)), dec!(0));
        // Not zone-aware: a broker picked by count; brokers a:2, b:1, c:1 → P(local) = 2/4, crossing ½.
        let per_zone = vec![("a".to_string(), 2), ("b".to_string(), 1), ("c".to_string(), 1)];
        assert_eq!(d.broker_routed_crossing(&per_zone), dec!(0.5));
    }
}
