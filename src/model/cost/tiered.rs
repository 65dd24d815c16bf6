//! Tiered storage (KIP-405): the local window on the brokers' disks, every rolled segment in object storage (S3, or
//! MSK tiered storage), uploads, and the groups far enough behind to read from remote storage. Which topics can be
//! tiered at all (`tiered_eligibility`).

use super::*;

/// Tiered storage (KIP-405): the local window on EBS × RF, one copy of everything retained in object storage,
/// replication and client traffic as broker-local, uploads, and remote reads for the groups further behind than
/// the local window. An error with the reason when the topic cannot be tiered.
pub fn tiered_storage(
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) -> Result<CostBreakdown, NotTierable> {
    tiered_eligibility(t, c, a)?;
    let mut cost = CostBreakdown::default();
    let window_ms = local_window_ms(t, a);
    let remote_key = |msk: FixedPrice, s3: FixedPrice| match c.platform {
        Platform::Msk => msk,
        Platform::SelfManaged => s3,
    };
    if let Some(total) = one_copy_bytes(t) {
        let local = local_bytes(total, t, window_ms);
        push_local_disk(&mut cost, local, t, c, a, prices);
        // KIP-405 copies every rolled segment to remote storage and keeps the local copy only for the window.
        let remote_gib = total / GIB;
        cost.push(
            prices,
            Component::RemoteStorage,
            "GiB-month",
            remote_gib,
            remote_key(FixedPrice::MskTieredStorage, FixedPrice::S3Storage),
            Decimal::ONE,
        );
    }
    push_provisioned_performance(&mut cost, t, c, a, prices);
    push_kafka_traffic(&mut cost, t, c, a, prices);
    if let Some(rate) = t.bytes_in_per_sec {
        let written = monthly_bytes(rate, a);
        if c.platform == Platform::SelfManaged {
            let puts = written / (a.s3_upload_object_mib * MIB);
            cost.push(prices, Component::RemotePut, "requests", puts, FixedPrice::S3Put, Decimal::ONE);
        }
        let read = written * reads_behind(t, window_ms);
        match c.platform {
            Platform::Msk => cost.push(
                prices,
                Component::RemoteReads,
                "GiB",
                read / GIB,
                FixedPrice::MskTieredRetrieval,
                Decimal::ONE,
            ),
            Platform::SelfManaged => {
                let gets = read / (a.s3_read_object_mib * MIB);
                cost.push(prices, Component::RemoteReads, "requests", gets, FixedPrice::S3Get, Decimal::ONE)
            }
        }
    }
    push_compute(&mut cost, t, c, a, prices);
    note_missing_inputs(&mut cost, t);
    Ok(cost)
}

/// MSK's least `retention.ms` for a tiered topic: 3 days (Amazon MSK Developer Guide, "Guidelines for Amazon MSK
/// tiered storage topic-level configuration").
pub(super) const MSK_TIERED_MIN_RETENTION_MS: i64 = 3 * 86_400_000;
/// Whether the topic can be tiered at all, and why not. KIP-405 takes no compacted topic. MSK also needs
/// `retention.ms` of at least 3 days (or unlimited) and a `local.retention.ms` below `retention.ms` (−2, "same as
/// retention", is allowed: a copy in each tier). Self-managed Kafka only needs the local window not above retention,
/// which the model's window always is.
pub fn tiered_eligibility(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions) -> Result<(), NotTierable> {
    if t.compacted {
        return Err(NotTierable::Compacted);
    }
    if c.platform != Platform::Msk {
        return Ok(());
    }
    let Some(retention) = t.retention_ms.filter(|r| *r >= 0) else { return Ok(()) };
    if retention < MSK_TIERED_MIN_RETENTION_MS {
        return Err(NotTierable::MskRetention { retention_ms: retention });
    }
    let assumed = a.tiered_local_retention_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND;
    let window = match t.tiered_window_ms.or(t.tiered_today) {
        Some(ms) if ms >= 0 => Decimal::from(ms),
        Some(_) => return Ok(()),
        None => assumed,
    };
    if window >= Decimal::from(retention) {
        return Err(NotTierable::MskWindow { window_ms: whole(window), retention_ms: retention });
    }
    Ok(())
}

/// Why a topic cannot be tiered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotTierable {
    #[error("compacted topics cannot use tiered storage (KIP-405)")]
    Compacted,
    #[error("MSK tiered storage needs retention.ms of at least 3 days; this topic keeps {}", crate::format::retention_ms(*.retention_ms))]
    MskRetention { retention_ms: i64 },
    #[error(
        "MSK tiered storage needs local.retention.ms below retention.ms; the local window would be {} of {}",
        crate::format::retention_ms(*.window_ms),
        crate::format::retention_ms(*.retention_ms)
    )]
    MskWindow { window_ms: i64, retention_ms: i64 },
}

/// The local retention window of the tiered scenario: the topic's own `local.retention.ms` when it is tiered
/// today, else the assumption. `None` = unlimited.
pub fn local_window_ms(t: &TopicInputs, a: &Assumptions) -> Option<Decimal> {
    let retention = t.retention_ms.filter(|r| *r >= 0).map(Decimal::from);
    let assumed = a.tiered_local_retention_hours * SECONDS_PER_HOUR * Decimal::ONE_THOUSAND;
    let window = match t.tiered_window_ms.or(t.tiered_today) {
        Some(ms) if ms >= 0 => Decimal::from(ms),
        Some(_) => return retention,
        None => assumed,
    };
    Some(retention.map_or(window, |r| window.min(r)))
}

/// Bytes of one copy inside the local window: what the topic would keep at a retention of the window (the lesser
/// of the window's writes and `retention.bytes` per partition, [`TopicInputs::retained_ratio`]), or, with unlimited
/// retention, the window's worth of writes. A topic at its size bound with no write rate keeps the window's share of
/// retention (a lower bound of the local bytes, as the bound can hold more than the window).
pub fn local_bytes(total: Decimal, t: &TopicInputs, window_ms: Option<Decimal>) -> Decimal {
    let Some(window) = window_ms else { return total };
    match t.retention_ms.filter(|r| *r > 0) {
        Some(r) => {
            let share = (window / Decimal::from(r)).min(Decimal::ONE);
            // The window's steady state in bytes (writes over the window plus half an active segment), where it
            // can be told; else the window's share of the bytes.
            if t.time_bound_known()
                && let Some(local) = t.partition_bytes_after(share, Decimal::ONE)
            {
                return local.iter().sum::<Decimal>().min(total);
            }
            total * t.retained_ratio(share, Decimal::ONE).unwrap_or(share).min(Decimal::ONE)
        }
        None => match t.bytes_in_per_sec.and_then(Decimal::from_f64) {
            Some(rate) => (rate * window / Decimal::ONE_THOUSAND).min(total),
            None => total,
        },
    }
}

/// Groups whose lag, in time, is longer than the local window: they read from remote storage. Lag in time =
/// messages behind × average record size ÷ write rate.
pub fn groups_behind(t: &TopicInputs, window_ms: Option<Decimal>) -> i64 {
    behind(t, window_ms).count() as i64
}

/// The copies of what is written that the groups behind the local window read: they come from remote storage.
fn reads_behind(t: &TopicInputs, window_ms: Option<Decimal>) -> Decimal {
    behind(t, window_ms).map(|g| g.reads).sum()
}

/// The reading groups further behind than the window.
fn behind(t: &TopicInputs, window_ms: Option<Decimal>) -> impl Iterator<Item = &GroupInputs> {
    t.groups.iter().filter(move |g| {
        g.reads > Decimal::ZERO
            && window_ms.is_some_and(|window| g.lag.and_then(|lag| lag_ms(t, lag)).is_some_and(|b| b > window))
    })
}
