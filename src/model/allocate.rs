//! Splitting a billed amount over weights so the parts sum to the amount exactly, to the cent.
//!
//! Largest-remainder method in decimal: each part gets its share rounded down to the cent, then the cents left over
//! go one by one to the parts with the largest remainders (ties: the larger weight, then the key's order), so the
//! result is exact and the same on every run. Weights are the model's usage shares (e.g. each topic's modelled
//! storage); a part with zero weight gets nothing unless every weight is zero, in which case nothing can be split
//! and the whole amount stays unallocated (`None`).

use rust_decimal::{Decimal, RoundingStrategy};

/// One share of a split: who gets it and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<K> {
    pub key: K,
    pub amount: Decimal,
}

/// Splits `total` (rounded to the cent first) over `weights` (negative weights count as 0). `None` when the weights
/// sum to 0.
pub fn split<K: Clone + Ord>(total: Decimal, weights: &[(K, Decimal)]) -> Option<Vec<Part<K>>> {
    let cent = Decimal::new(1, 2);
    let total = total.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let sum: Decimal = weights.iter().map(|(_, w)| (*w).max(Decimal::ZERO)).sum();
    if sum.is_zero() {
        return None;
    }
    let mut parts: Vec<(Part<K>, Decimal, Decimal)> = weights
        .iter()
        .map(|(k, w)| {
            let w = (*w).max(Decimal::ZERO);
            let exact = total * w / sum;
            let floor = exact.round_dp_with_strategy(2, RoundingStrategy::ToZero);
            (Part { key: k.clone(), amount: floor }, exact - floor, w)
        })
        .collect();
    let given: Decimal = parts.iter().map(|(p, _, _)| p.amount).sum();
    let mut left = ((total - given) / cent).round().to_string().parse::<i64>().unwrap_or(0);
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, ra, wa) = &parts[a];
        let (pb, rb, wb) = &parts[b];
        rb.abs().cmp(&ra.abs()).then(wb.cmp(wa)).then(pa.key.cmp(&pb.key))
    });
    // A negative total hands out negative cents the same way.
    let step = if left < 0 { -cent } else { cent };
    for i in order.iter().cycle().take(left.unsigned_abs() as usize) {
        parts[*i].0.amount += step;
        left -= left.signum();
    }
    debug_assert_eq!(left, 0);
    Some(parts.into_iter().map(|(p, _, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn amounts(parts: &[Part<&str>]) -> Vec<Decimal> {
        parts.iter().map(|p| p.amount).collect()
    }

    #[test]
    fn awkward_remainders_sum_to_the_total_exactly() {
        // $100 over three equal weights: 33.33 × 3 = 99.99, the last cent to the first key (a tie everywhere).
        let parts = split(dec!(100), &[("a", dec!(1)), ("b", dec!(1)), ("c", dec!(1))]).unwrap();
        assert_eq!(amounts(&parts), vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        // $0.05 over seven parts with weights 1..7 (sum 28): shares k × 0.05/28; floors give 0.02 (parts 6 and 7),
        // the 3 cents left go to the largest remainders: parts 5 (.0089), 4 (.0071) and 3 (.0054).
        let w: Vec<(&str, Decimal)> =
            ["a", "b", "c", "d", "e", "f", "g"].iter().zip(1..=7).map(|(k, i)| (*k, Decimal::from(i))).collect();
        let parts = split(dec!(0.05), &w).unwrap();
        assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), dec!(0.05));
        assert_eq!(amounts(&parts), vec![dec!(0), dec!(0), dec!(0.01), dec!(0.01), dec!(0.01), dec!(0.01), dec!(0.01)]);
        // A bill with sub-cent digits is rounded to the cent first, then split exactly.
        let parts = split(dec!(7645.8976241564), &[("x", dec!(2)), ("y", dec!(1))]).unwrap();
        assert_eq!(amounts(&parts), vec![dec!(5097.27), dec!(2548.63)]);
    }

    #[test]
    fn the_same_inputs_give_the_same_split_and_zero_weights_get_nothing() {
        let w = [("b", dec!(0.3)), ("a", dec!(0.3)), ("z", dec!(0)), ("c", dec!(0.4))];
        let first = split(dec!(10.01), &w).unwrap();
        assert_eq!(first, split(dec!(10.01), &w).unwrap());
        assert_eq!(first.iter().find(|p| p.key == "z").unwrap().amount, Decimal::ZERO);
        assert_eq!(first.iter().map(|p| p.amount).sum::<Decimal>(), dec!(10.01));
        // 3.003, 3.003, 0, 4.004: the spare cent goes to the largest remainder, `c`.
        assert_eq!(amounts(&first), vec![dec!(3.00), dec!(3.00), dec!(0), dec!(4.01)]);
        // Equal remainders and weights: the key order decides, `a` before `b` whatever order they come in.
        let tie = split(dec!(0.01), &[("b", dec!(1)), ("a", dec!(1))]).unwrap();
        assert_eq!(amounts(&tie), vec![dec!(0), dec!(0.01)]);
    }

    #[test]
    fn nothing_to_split_over_is_none_and_credits_split_too() {
        assert_eq!(split(dec!(5), &[("a", dec!(0))]), None);
        assert_eq!(split::<&str>(dec!(5), &[]), None);
        let parts = split(dec!(-1), &[("a", dec!(1)), ("b", dec!(2))]).unwrap();
        assert_eq!(amounts(&parts), vec![dec!(-0.33), dec!(-0.67)]);
    }
}
