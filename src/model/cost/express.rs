//! Amazon MSK Express brokers: AWS's own alternative to broker-local disk. Storage is MSK's, elastic and priced per
//! GB of one copy; every byte written is priced once; the brokers are sized from AWS's per-size throughput and
//! partition figures, not from disks; replication between brokers is free, as on MSK Standard; clients cross zones
//! as they do on Kafka today (to the partitions' leaders).

use super::*;

/// One Express broker size: the recommended maximum throughput per broker (the MSK Developer Guide, "Best
/// practices for Express brokers", "Right-size your cluster: Number of brokers per cluster": "the recommended
/// maximum throughput per broker for each instance size", in MBps) and the recommended partitions per broker,
/// leaders and followers (the MSK Developer Guide, "Amazon MSK quota", "Express broker partition quota",
/// https://docs.aws.amazon.com/msk/latest/developerguide/limits.html#msk-express-broker-partition-quota).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpressSize {
    pub instance_type: &'static str,
    pub ingress_mbps: Decimal,
    pub egress_mbps: Decimal,
    pub partitions: i64,
}

const fn size(instance_type: &'static str, ingress: i64, egress: i64, partitions: i64) -> ExpressSize {
    // Tenths of MBps, so the table reads as AWS's does.
    ExpressSize {
        instance_type,
        ingress_mbps: Decimal::from_parts(ingress as u32, 0, 0, false, 1),
        egress_mbps: Decimal::from_parts(egress as u32, 0, 0, false, 1),
        partitions,
    }
}

/// AWS's table, smallest first: ingress and egress MBps, recommended partitions per broker.
pub const EXPRESS_SIZES: &[ExpressSize] = &[
    size("express.m7g.large", 156, 312, 1_000),
    size("express.m7g.xlarge", 312, 625, 1_000),
    size("express.m7g.2xlarge", 625, 1_250, 2_500),
    size("express.m7g.4xlarge", 1_249, 2_498, 6_000),
    size("express.m7g.8xlarge", 2_500, 5_000, 12_000),
    size("express.m7g.12xlarge", 3_750, 7_500, 16_000),
    size("express.m7g.16xlarge", 5_000, 10_000, 20_000),
];

/// Express clusters spread brokers evenly over three zones and replicate every partition three times ("Best
/// practices for Express brokers": "Your data is distributed across three availability zones by default,
/// replication is always set to 3").
pub const EXPRESS_ZONES: i64 = 3;
pub const EXPRESS_REPLICATION: i64 = 3;

/// MBps as AWS's throughput tables write it: 10^6 bytes a second.
const MB: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The brokers of one size a cluster needs: the most of ingress ÷ the size's ingress, egress ÷ its egress and
/// partition replicas ÷ its recommended partitions, each rounded up, then up to a multiple of three zones.
pub fn express_brokers(s: &ExpressSize, ingress_bytes: Decimal, egress_bytes: Decimal, replicas: i64) -> i64 {
    let need = |load: Decimal, per_broker: Decimal| whole((load / per_broker).ceil());
    let brokers = need(ingress_bytes, s.ingress_mbps * MB)
        .max(need(egress_bytes, s.egress_mbps * MB))
        .max(need(Decimal::from(replicas), Decimal::from(s.partitions)))
        .max(1);
    (brokers + EXPRESS_ZONES - 1) / EXPRESS_ZONES * EXPRESS_ZONES
}

/// The Express cluster a cluster's load would need: the size whose brokers cost least an hour (fewer brokers on a
/// tie), among the sizes the price book prices.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressFleet {
    pub size: ExpressSize,
    pub brokers: i64,
    pub key: PriceKey,
}

/// The cheapest Express fleet for the cluster's client traffic (writes in, reads out) and partitions; None when no
/// Express size is priced in the cluster's book.
pub fn express_fleet(c: &ClusterInputs, prices: &PriceBook) -> Option<ExpressFleet> {
    let ingress = Decimal::from_f64(c.cluster_bytes_in_per_sec).unwrap_or_default();
    let egress = Decimal::from_f64(c.read_bytes_per_sec).unwrap_or_default();
    let replicas = c.partitions * EXPRESS_REPLICATION;
    EXPRESS_SIZES
        .iter()
        .filter_map(|s| {
            let key = PriceKey::MskBroker(s.instance_type.to_string());
            let hourly = prices.get(&key)?.usd;
            let brokers = express_brokers(s, ingress, egress, replicas);
            Some((hourly * Decimal::from(brokers), brokers, ExpressFleet { size: *s, brokers, key }))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, _, fleet)| fleet)
}

/// The topic on MSK Express: its write share of the cluster's Express brokers, one copy of its retained bytes in
/// Express storage, every byte written once, and clients crossing zones to the partitions' leaders (replication
/// between brokers is MSK's, free).
pub fn express(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = one_copy_bytes(t) {
        let key = FixedPrice::MskExpressStorage;
        cost.push(prices, Component::ExpressStorage, "GiB-month", bytes / GIB, key, Decimal::ONE);
    }
    if let Some(rate) = t.bytes_in_per_sec {
        let written_gib = monthly_bytes(rate, a) / GIB;
        let key = FixedPrice::MskExpressDataIn;
        cost.push(prices, Component::ExpressDataWritten, "GiB", written_gib, key, Decimal::ONE);
    }
    let on_msk = ClusterInputs { platform: Platform::Msk, ..c.clone() };
    push_kafka_traffic(&mut cost, t, &on_msk, a, prices);
    if let Some(share) = write_share(t, c) {
        match express_fleet(c, prices) {
            Some(fleet) => {
                let hours = Decimal::from(fleet.brokers) * a.month_hours * share;
                cost.push(prices, Component::BrokerCompute, "broker-hours", hours, fleet.key, Decimal::ONE);
            }
            None => cost.missing.push(Missing {
                part: Part::Component(Component::BrokerCompute),
                reason: Reason::NoPrice(PriceKey::MskBroker(EXPRESS_SIZES[0].instance_type.to_string())),
            }),
        }
    }
    note_missing_inputs(&mut cost, t);
    cost
}
