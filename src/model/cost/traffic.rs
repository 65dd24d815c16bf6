//! Traffic every placement shares: Kafka's replication across zones, producers and consumer groups crossing a zone
//! to reach a broker, and the brokers' compute by write share.

use super::*;

/// Replication between zones and client traffic, as Kafka moves bytes with replicas on broker disks.
pub(super) fn push_kafka_traffic(
    cost: &mut CostBreakdown,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let Some(rate) = t.bytes_in_per_sec else { return };
    let written_gib = monthly_bytes(rate, a) / GIB;
    match t.placement.replication_crossings() {
        Some(crossings) => {
            let key = replication_price_key(c.platform);
            cost.push(prices, Component::InterAzReplication, "GiB", written_gib * crossings, key, TWO_SIDES);
        }
        None => note_unknown_zones(cost, Component::InterAzReplication, t.placement.unknown_followers()),
    }
    push_client_traffic(cost, written_gib, t, c, a, prices, Routing::Kafka);
}

/// How clients find the broker they talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Routing {
    /// Kafka with replicas on broker disks: the partition's leader, or with fetch-from-follower (KIP-392) a
    /// replica in the consumer's zone when there is one.
    Kafka,
    /// Shared storage with zone-aware clients: any broker in the client's zone.
    ZoneAware,
    /// Shared storage without: a broker picked in proportion to the brokers per zone.
    AnyBroker,
}

/// The share of `clients`' traffic that crosses a zone on Kafka as it runs today: to the partitions' leaders, or,
/// fetching from followers, to the nearest replica. `None` when a zone it depends on is unknown.
pub fn kafka_crossing(t: &TopicInputs, c: &ClusterInputs, clients: &Clients, from_followers: bool) -> Option<Decimal> {
    let d = Distribution::of(clients, &c.zone_names());
    if from_followers { d.follower_fetch_crossing(&t.placement) } else { d.leader_crossing(&t.placement) }
}

pub(super) fn note_unknown_zones(cost: &mut CostBreakdown, name: Component, why: Option<String>) {
    cost.missing.push(Missing { part: Part::Component(name), reason: Reason::ZoneUnknown(why) });
}

/// Producers writing to, and consumer groups reading from, a broker in another zone: per byte, the share of the
/// clients' traffic whose broker is not in their zone (`zones`). A group fetches from followers when its rule says
/// so, else `[model] fetch_from_follower`.
pub(super) fn push_client_traffic(
    cost: &mut CostBreakdown,
    written_gib: Decimal,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
    routing: Routing,
) {
    let zones = c.zone_names();
    let crossing = |clients: &Clients, from_followers: bool| -> Option<Decimal> {
        let d = Distribution::of(clients, &zones);
        match routing {
            Routing::Kafka if from_followers => d.follower_fetch_crossing(&t.placement),
            Routing::Kafka => d.leader_crossing(&t.placement),
            Routing::ZoneAware => Some(d.zone_routed_crossing(&zones)),
            Routing::AnyBroker => Some(d.broker_routed_crossing(&c.broker_zones)),
        }
    };
    // Zone-aware shared storage crosses only from zones without a broker: the lines appear when something does.
    let show = |q: Decimal| routing != Routing::ZoneAware || !q.is_zero();
    match crossing(&t.producers, false) {
        Some(x) if show(x) => {
            cost.push(prices, Component::InterAzProduce, "GiB", written_gib * x, FixedPrice::InterAzTransfer, TWO_SIDES)
        }
        Some(_) => {}
        None => note_unknown_zones(cost, Component::InterAzProduce, t.placement.unknown_leaders()),
    }
    let mut read = Decimal::ZERO;
    for g in t.groups.iter().filter(|g| g.reads > Decimal::ZERO) {
        let from_followers = g.fetch_from_follower.unwrap_or(a.fetch_from_follower);
        match crossing(&g.clients, from_followers) {
            Some(x) => read += written_gib * g.reads * x,
            None => {
                let why = if from_followers { t.placement.unknown_followers() } else { t.placement.unknown_leaders() };
                return note_unknown_zones(cost, Component::InterAzConsume, why);
            }
        }
    }
    if show(read) {
        cost.push(prices, Component::InterAzConsume, "GiB", read, FixedPrice::InterAzTransfer, TWO_SIDES);
    }
}

pub(super) fn push_compute(
    cost: &mut CostBreakdown,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    if let Some(share) = write_share(t, c) {
        let hours = Decimal::from(c.brokers) * a.month_hours * share;
        cost.push(prices, Component::BrokerCompute, "broker-hours", hours, c.broker_price_key.clone(), Decimal::ONE);
    }
}
