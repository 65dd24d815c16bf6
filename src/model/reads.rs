//! What a topic's read-rate points say over the window: whether it was read at all, and its biggest re-read (a
//! replay or backfill), which a shorter retention must keep room for; and how much each consumer group reads
//! (`assign`). Pure; from the join's `topic_reads` and `topic_facts`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::join::contract::TopicRead;
use crate::model::cost::{GroupInputs, ReadBasis};
use crate::model::zones::Clients;

/// The reading a topic's readers outside any consumer group are named by.
pub const OUTSIDE_GROUPS: &str = "(readers outside any consumer group)";

/// Sets each group's reads: copies of what is written it reads, and on what basis. A group reads only when it has
/// members, or when the topic's measured bytes out show reads that no group with members accounts for; a state of
/// `Empty` alone proves neither way (a consumer with manual assignment commits offsets without members). Where the
/// topic has `BytesOutPerSec`, the reads are what it measured (out ÷ in copies), shared evenly among the readers;
/// without one, a group whose committed offsets were read twice reads what they measured (their rate over the log
/// end's: an `Empty` group that commits is reading), and each other group with members reads everything once. Reads
/// measured with no group at all go to a reader outside any group, where `clients` (the cluster's default) run.
pub fn assign(groups: &mut Vec<GroupInputs>, bytes_in: Option<f64>, bytes_out: Option<f64>, clients: &Clients) {
    let measured = match (bytes_in, bytes_out) {
        (Some(i), Some(o)) if i > 0.0 && o >= 0.0 => Decimal::from_f64(o / i).map(|m| m.round_dp(6)),
        _ => None,
    };
    let members = groups.iter().filter(|g| g.active).count();
    let readers = if members > 0 { members } else { groups.len() };
    for g in groups.iter_mut() {
        (g.reads, g.read_basis) = match measured {
            None if g.committed_reads.is_some_and(|c| g.active || c > Decimal::ZERO) => {
                (g.committed_reads.unwrap_or_default(), ReadBasis::CommittedOffsets)
            }
            None if g.active => (Decimal::ONE, ReadBasis::Members),
            None => (Decimal::ZERO, ReadBasis::NotReading),
            Some(m) if g.active => (m / Decimal::from(readers as i64), ReadBasis::BytesOut),
            Some(m) if members == 0 && m > Decimal::ZERO => {
                (m / Decimal::from(readers as i64), ReadBasis::BytesOutWithoutMembers)
            }
            Some(_) => (Decimal::ZERO, ReadBasis::NotReading),
        };
    }
    if let Some(m) = measured.filter(|m| *m > Decimal::ZERO && groups.is_empty()) {
        groups.push(GroupInputs {
            group_id: OUTSIDE_GROUPS.to_string(),
            lag: None,
            clients: clients.clone(),
            fetch_from_follower: None,
            active: true,
            reads: m,
            read_basis: ReadBasis::BytesOutWithoutGroup,
            committed_reads: None,
        });
    }
}

/// A topic's reads over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Reads {
    /// Metric points with a read rate (one a day for the CloudWatch sources' daily period).
    pub points: i64,
    /// The largest read rate of any point, bytes/s: 0 when nothing read the topic at any point.
    pub max_bytes_out_per_sec: f64,
    /// The biggest re-read: the point that read most over the usual, when it read at least a period of writes more.
    pub replay: Option<Replay>,
}

/// A point that read far more than the usual: someone read back through retained data.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub at: DateTime<Utc>,
    /// Bytes read at that point over the usual (the median point's rate × the period).
    pub extra_bytes: Decimal,
    /// How far back that reaches, as time of writes: extra bytes ÷ the window's mean write rate, in ms.
    pub depth_ms: Decimal,
}

impl Reads {
    /// One topic's points, in time order. The period is the shortest gap between two points (a day, for daily
    /// CloudWatch points); a re-read counts when it read at least one period of writes over the usual, so a
    /// consumer catching up on a day's backlog is not one.
    pub fn of(points: &[&TopicRead]) -> Reads {
        let outs: Vec<f64> = points.iter().map(|p| p.bytes_out_per_sec).collect();
        let max = outs.iter().copied().fold(0.0_f64, f64::max);
        Reads { points: points.len() as i64, max_bytes_out_per_sec: max, replay: replay(points, &outs) }
    }

    /// Nothing read the topic at any of at least `min_points` points.
    pub fn unread(&self, min_points: i64) -> bool {
        self.points >= min_points && self.max_bytes_out_per_sec < 1.0
    }
}

fn replay(points: &[&TopicRead], outs: &[f64]) -> Option<Replay> {
    let period = points
        .windows(2)
        .filter_map(|w| (w[1].at - w[0].at).num_milliseconds().checked_abs())
        .filter(|ms| *ms > 0)
        .min()?;
    let writes: Vec<f64> = points.iter().filter_map(|p| p.bytes_in_per_sec).collect();
    let write_rate = Decimal::from_f64(writes.iter().sum::<f64>() / writes.len().max(1) as f64)?;
    if write_rate <= Decimal::ZERO {
        return None;
    }
    let mut sorted = outs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let usual = Decimal::from_f64(sorted[sorted.len() / 2])?;
    let period_ms = Decimal::from(period);
    let (at, extra) = points
        .iter()
        .filter_map(|p| {
            Some((p.at, (Decimal::from_f64(p.bytes_out_per_sec)? - usual) * period_ms / Decimal::ONE_THOUSAND))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let depth_ms = extra / write_rate * Decimal::ONE_THOUSAND;
    (depth_ms >= period_ms).then(|| Replay { at, extra_bytes: extra.round(), depth_ms: depth_ms.round() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn point(day: u32, written: f64, read: f64) -> TopicRead {
        TopicRead {
            cluster: "c".into(),
            topic: "t".into(),
            at: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
            bytes_in_per_sec: Some(written),
            bytes_out_per_sec: read,
        }
    }

    #[test]
    fn a_day_that_read_three_and_a_half_days_of_writes_over_the_usual_is_a_replay() {
        // 1 MB/s written, read by 2 groups (2 MB/s usual); on day 4 the reads average 5.5 MB/s: 3.5 MB/s over the
        // usual for 86,400 s = 302,400 MB, which is 302,400 s (3.5 days) of writes at 1 MB/s.
        let points: Vec<TopicRead> =
            (1..=7).map(|d| point(d, 1_000_000.0, if d == 4 { 5_500_000.0 } else { 2_000_000.0 })).collect();
        let refs: Vec<&TopicRead> = points.iter().collect();
        let reads = Reads::of(&refs);
        let replay = reads.replay.clone().unwrap();
        assert_eq!(replay.at, Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).unwrap());
        assert_eq!(replay.extra_bytes, Decimal::from(302_400_000_000_i64));
        assert_eq!(replay.depth_ms, Decimal::from(302_400_000_i64));
        assert!(!reads.unread(7));
        // Half a day's catch-up (2.5 MB/s on one day: 0.5 day of writes over the usual) is no replay.
        let points: Vec<TopicRead> =
            (1..=7).map(|d| point(d, 1_000_000.0, if d == 4 { 2_500_000.0 } else { 2_000_000.0 })).collect();
        assert_eq!(Reads::of(&points.iter().collect::<Vec<_>>()).replay, None);
    }

    #[test]
    fn a_topic_read_at_no_point_of_a_week_is_unread() {
        let points: Vec<TopicRead> = (1..=7).map(|d| point(d, 1_000.0, 0.0)).collect();
        let reads = Reads::of(&points.iter().collect::<Vec<_>>());
        assert!(reads.unread(7));
        assert!(!reads.unread(8), "fewer points than asked for say nothing");
        assert_eq!(reads.replay, None);
    }

    fn group(id: &str, active: bool) -> GroupInputs {
        GroupInputs {
            group_id: id.into(),
            lag: Some(0),
            clients: Clients::default(),
            fetch_from_follower: None,
            active,
            reads: Decimal::ZERO,
            read_basis: ReadBasis::NotReading,
            committed_reads: None,
        }
    }

    fn reads(groups: &[GroupInputs]) -> Vec<(Decimal, ReadBasis)> {
        groups.iter().map(|g| (g.reads, g.read_basis)).collect()
    }

    #[test]
    /// Derived by hand from the rule: measured reads are out ÷ in copies, shared by the groups with members.
    fn a_group_reads_when_it_has_members_or_the_measured_reads_say_so() {
        use rust_decimal::dec;
        let none = &Clients::default();
        // Two groups with members and one Empty far behind; 1,000 B/s in, 2,000 B/s out: each member group reads
        // 2,000 ÷ 1,000 ÷ 2 = 1 copy; the Empty group none (before, it was priced as a third full read).
        let mut g = vec![group("a", true), group("b", true), group("stale", false)];
        assign(&mut g, Some(1000.0), Some(2000.0), none);
        assert_eq!(
            reads(&g),
            [(dec!(1), ReadBasis::BytesOut), (dec!(1), ReadBasis::BytesOut), (dec!(0), ReadBasis::NotReading)]
        );
        // No metric: each group with members reads everything once; the Empty one is not a reader.
        assign(&mut g, Some(1000.0), None, none);
        assert_eq!(reads(&g)[0], (dec!(1), ReadBasis::Members));
        assert_eq!(reads(&g)[2], (dec!(0), ReadBasis::NotReading));
        // A replay: 3,000 B/s out over two member groups = 1.5 copies each.
        assign(&mut g, Some(1000.0), Some(3000.0), none);
        assert_eq!(reads(&g)[0].0, dec!(1.5));
        // Only an Empty group, and 500 B/s out of 1,000 in: a consumer with manual assignment reads half.
        let mut manual = vec![group("manual", false)];
        assign(&mut manual, Some(1000.0), Some(500.0), none);
        assert_eq!(reads(&manual), [(dec!(0.5), ReadBasis::BytesOutWithoutMembers)]);
        // No BytesOutPerSec, committed offsets read twice: a group with members that committed 0.5 records for each
        // one written reads half a copy; an Empty group whose offsets kept pace reads one (a consumer with manual
        // assignment), and one whose offsets stood still is not a reader.
        let measured =
            |id: &str, active: bool, c: Decimal| GroupInputs { committed_reads: Some(c), ..group(id, active) };
        let mut offsets = vec![
            measured("half", true, dec!(0.5)),
            measured("manual", false, dec!(1)),
            measured("idle", false, dec!(0)),
        ];
        assign(&mut offsets, Some(1000.0), None, none);
        assert_eq!(
            reads(&offsets),
            [
                (dec!(0.5), ReadBasis::CommittedOffsets),
                (dec!(1), ReadBasis::CommittedOffsets),
                (dec!(0), ReadBasis::NotReading)
            ]
        );
        // Where BytesOutPerSec is measured it still decides (the broker counted every byte sent).
        assign(&mut offsets, Some(1000.0), Some(1000.0), none);
        assert_eq!(reads(&offsets)[0], (dec!(1), ReadBasis::BytesOut));
        // Only an Empty group and no reads measured (legacy-mirror on the demo): not a reader.
        assign(&mut manual, Some(1000.0), Some(0.0), none);
        assert_eq!(reads(&manual), [(dec!(0), ReadBasis::NotReading)]);
        // No group, yet 1,000 B/s read: one reader outside any group reads a copy.
        let mut outside = vec![];
        assign(&mut outside, Some(1000.0), Some(1000.0), none);
        assert_eq!((outside[0].group_id.as_str(), outside[0].reads), (OUTSIDE_GROUPS, dec!(1)));
    }
}
