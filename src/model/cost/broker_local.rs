//! Broker-local placement: every replica on the brokers' disks (EBS, or MSK storage on MSK) with the headroom the
//! target utilisation leaves, provisioned gp3 throughput and IOPS beyond the baseline, Kafka's own traffic and the
//! brokers' hours by write share (see `docs/cost-model.md`).

use super::*;

/// gp3's baseline per volume, included in the storage price (AWS EBS volume types).
pub(super) const GP3_BASELINE_MIBPS: Decimal = Decimal::from_parts(125, 0, 0, false, 0);
pub(super) const GP3_BASELINE_IOPS: Decimal = Decimal::from_parts(3000, 0, 0, false, 0);
/// Broker-local disk: every byte retained on EBS (or MSK storage) × RF.
pub fn broker_local(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = one_copy_bytes(t) {
        push_local_disk(&mut cost, bytes, t, c, a, prices);
    }
    push_provisioned_performance(&mut cost, t, c, a, prices);
    push_kafka_traffic(&mut cost, t, c, a, prices);
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    cost
}

/// `bytes` of one copy × RF on broker disks, and the headroom the target utilisation leaves unused.
pub(super) fn push_local_disk(
    cost: &mut CostBreakdown,
    bytes: Decimal,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let rf = Decimal::from(t.replication_factor.max(1));
    let stored_gib = bytes * rf / GIB;
    let key = c.storage_key();
    cost.push(prices, Component::RetainedStorage, "GiB-month", stored_gib, key, Decimal::ONE);
    let headroom = stored_gib * (Decimal::ONE / a.target_disk_utilization - Decimal::ONE);
    cost.push(prices, Component::DiskHeadroom, "GiB-month", headroom, key, Decimal::ONE);
}

/// Self-managed brokers' gp3 volumes: the throughput and IOPS the writes need above gp3's baseline (125 MiB/s and
/// 3,000 IOPS per volume, one volume per broker), shared by the topics in proportion to write rate × RF. Writes
/// only: consumers are assumed to read from the page cache. An I/O counts up to `ebs_io_kib` (256 KiB on SSD).
pub(super) fn push_provisioned_performance(
    cost: &mut CostBreakdown,
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let Some(rate) = t.bytes_in_per_sec else { return };
    // gp2 has no provisioned throughput or IOPS: its performance comes with its size.
    if c.storage_key() != FixedPrice::Gp3Storage || c.disk_write_bytes_per_sec <= 0.0 || c.brokers <= 0 {
        return;
    }
    let (Some(cluster_rate), Some(topic_rate)) =
        (Decimal::from_f64(c.disk_write_bytes_per_sec), Decimal::from_f64(rate * t.replication_factor.max(1) as f64))
    else {
        return;
    };
    let brokers = Decimal::from(c.brokers);
    let share = topic_rate / cluster_rate;
    let per_broker = cluster_rate / brokers;
    let mibps_over = (per_broker / MIB - GP3_BASELINE_MIBPS).max(Decimal::ZERO);
    let iops_over = (per_broker / (a.ebs_io_kib * Decimal::from(1024)) - GP3_BASELINE_IOPS).max(Decimal::ZERO);
    if !mibps_over.is_zero() {
        let q = mibps_over * brokers * share;
        cost.push(prices, Component::EbsThroughput, "MiB/s-month", q, FixedPrice::Gp3Throughput, Decimal::ONE);
    }
    if !iops_over.is_zero() {
        cost.push(
            prices,
            Component::EbsIops,
            "IOPS-month",
            iops_over * brokers * share,
            FixedPrice::Gp3Iops,
            Decimal::ONE,
        );
    }
}
