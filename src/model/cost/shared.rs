//! Shared storage (AutoMQ-style): one copy in S3, its PUTs and GETs, a write-ahead log per broker (EBS, a regional
//! disk, S3 or S3 Express), stateless brokers sized to the load, and zone-aware clients.

use super::*;

/// Shared storage, AutoMQ-style: one copy in S3, a small WAL per broker, no replication between zones.
pub fn shared_storage(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> CostBreakdown {
    let mut cost = CostBreakdown::default();
    if let Some(bytes) = one_copy_bytes(t) {
        cost.push(prices, Component::S3Storage, "GiB-month", bytes / GIB, FixedPrice::S3Storage, Decimal::ONE);
    }
    if let Some(rate) = t.bytes_in_per_sec {
        let written = monthly_bytes(rate, a);
        // Measured per GiB written: uploads and compaction, and one group's reads. Each further group reads its
        // cold share in ranged GETs.
        let puts = written / GIB * a.shared_s3_puts_per_gib;
        cost.push(prices, Component::S3Put, "requests", puts, FixedPrice::S3Put, Decimal::ONE);
        let further_groups = (t.reads() - Decimal::ONE).max(Decimal::ZERO);
        let cold = written * further_groups * a.shared_cold_read_fraction;
        let gets = written / GIB * a.shared_s3_gets_per_gib + cold / (a.s3_read_object_mib * MIB);
        cost.push(prices, Component::S3Get, "requests", gets, FixedPrice::S3Get, Decimal::ONE);
        if let Some(share) = write_share(t, c) {
            push_wal(&mut cost, share, written / GIB, c, a, prices);
        }
        cost.push(prices, Component::VendorSubscription, "GiB written", written / GIB, VENDOR_KEY, Decimal::ONE);
        let routing = if a.zone_aware_clients { Routing::ZoneAware } else { Routing::AnyBroker };
        push_client_traffic(&mut cost, written / GIB, t, c, a, prices, routing);
    }
    if let Some(share) = write_share(t, c) {
        let hours = Decimal::from(c.shared_brokers(a)) * a.month_hours * share;
        let key = PriceKey::Ec2Instance(a.shared_instance_type.clone());
        cost.push(prices, Component::BrokerCompute, "broker-hours", hours, key, Decimal::ONE);
    }
    note_missing_inputs(&mut cost, t);
    cost
}

/// The write-ahead log of shared storage, the topic's write share of it: a gp3 volume per broker (`ebs`, durable
/// within its zone), a volume on a regional disk (`regional-disk`, priced by `wal.regional_disk.storage`, which a
/// config supplies), or objects uploaded every `wal_upload_interval_ms` by every broker to S3 Standard (`s3`,
/// regional) or S3 Express One Zone (`s3-express`: one zone per bucket, so `wal_zone_copies` copies of every object,
/// each paying the PUT and the per-GB upload fee). WAL objects are deleted once compacted and read back only to
/// recover a broker, so their storage and retrieval are left out.
pub(super) fn push_wal(
    cost: &mut CostBreakdown,
    share: Decimal,
    written_gib: Decimal,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) {
    let brokers = Decimal::from(c.shared_brokers(a));
    let volume = a.wal_gib_per_broker * brokers * share;
    let uploads = brokers * a.month_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND / a.wal_upload_interval_ms * share;
    match a.wal {
        WalKind::Ebs => {
            cost.push(prices, Component::WalVolume, "GiB-month", volume, FixedPrice::Gp3Storage, Decimal::ONE)
        }
        WalKind::RegionalDisk => {
            cost.push(prices, Component::WalVolume, "GiB-month", volume, FixedPrice::WalRegionalDisk, Decimal::ONE)
        }
        WalKind::S3 => cost.push(prices, Component::WalPut, "requests", uploads, FixedPrice::S3Put, Decimal::ONE),
        WalKind::S3Express => {
            let copies = a.wal_zone_copies;
            cost.push(prices, Component::WalPut, "requests", uploads * copies, FixedPrice::S3ExpressPut, Decimal::ONE);
            cost.push(
                prices,
                Component::WalUpload,
                "GiB",
                written_gib * copies,
                FixedPrice::S3ExpressUpload,
                Decimal::ONE,
            );
        }
    }
}
