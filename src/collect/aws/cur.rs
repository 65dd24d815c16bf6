//! The rules of a Cost and Usage Report line, stated once: the legacy-CUR / CUR 2.0 columns a cost line is read
//! from, the amortized-cost rule per line item type, and the nine-part key lines are rolled up and ordered on.
//! Both readers take them from here: polars (`exports.rs`, every format) and the dictionary path
//! (`export_dictionary.rs`, legacy CUR Parquet). A query engine that runs the rollup elsewhere (Athena SQL) takes
//! them from here too.
//!
//! The amortized cost is derived the way AWS's CUR query library does (and Cost Explorer's AmortizedCost agrees);
//! [`AMORTIZATION`] is the table. A line whose type needs a column the file lacks has no amortized cost (null),
//! and so has the cost line it rolls into: unknown, never a guess.

use chrono::NaiveDate;

use crate::schema::CostLine;

pub const USAGE_START_DATE: &str = "line_item_usage_start_date";
pub const USAGE_AMOUNT: &str = "line_item_usage_amount";
pub const UNBLENDED_COST: &str = "line_item_unblended_cost";
pub const LINE_ITEM_TYPE: &str = "line_item_line_item_type";
pub const RESERVATION_ARN: &str = "reservation_reservation_a_r_n";
/// CUR 2.0's tags: a MAP in Parquet, JSON text in CSV, keys `user:<key>`.
pub const RESOURCE_TAGS: &str = "resource_tags";
/// Legacy CUR's flat tag columns start with this (see [`tag_column`]).
pub const TAG_COLUMN_PREFIX: &str = "resource_tags_user_";

/// One text part of a cost line's key: its name in the rollup (and in `cost_lines`) and its CUR column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPart {
    pub name: &'static str,
    pub column: &'static str,
}

/// The text parts of the key, in key (and sort) order. The day comes before them, the owner tags after.
pub const TEXT_KEY: [KeyPart; 7] = [
    KeyPart { name: "account_id", column: "line_item_usage_account_id" },
    KeyPart { name: "service", column: "line_item_product_code" },
    KeyPart { name: "usage_type", column: "line_item_usage_type" },
    KeyPart { name: "operation", column: "line_item_operation" },
    KeyPart { name: "resource_id", column: "line_item_resource_id" },
    KeyPart { name: "usage_unit", column: "pricing_unit" },
    KeyPart { name: "currency", column: "line_item_currency_code" },
];

/// The columns a CUR export must have, in the order a missing one is reported.
pub const REQUIRED: [&str; 10] = [
    USAGE_START_DATE,
    TEXT_KEY[0].column,
    TEXT_KEY[1].column,
    TEXT_KEY[2].column,
    TEXT_KEY[3].column,
    TEXT_KEY[4].column,
    USAGE_AMOUNT,
    TEXT_KEY[5].column,
    UNBLENDED_COST,
    TEXT_KEY[6].column,
];

/// How a line's amortized cost follows from its columns. `C` names a column: its CUR name in the table, whatever
/// a reader evaluates it with after [`Amortized::map`] (a polars expression, an index into decoded columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amortized<C = &'static str> {
    /// The unblended cost.
    Unblended,
    Column(C),
    Sum(C, C),
    Difference(C, C),
    /// Spread over the covered usage, so nothing on this line.
    Zero,
    /// 0 for a reservation's upfront fee (the line has a reservation ARN), the unblended cost for any other fee.
    ZeroIfReservation,
}

/// The rule per line item type; any type not listed is [`Amortized::Unblended`].
pub const AMORTIZATION: [(&str, Amortized); 7] = [
    ("DiscountedUsage", Amortized::Column("reservation_effective_cost")),
    (
        "RIFee",
        Amortized::Sum(
            "reservation_unused_amortized_upfront_fee_for_billing_period",
            "reservation_unused_recurring_fee",
        ),
    ),
    ("SavingsPlanCoveredUsage", Amortized::Column("savings_plan_savings_plan_effective_cost")),
    (
        "SavingsPlanRecurringFee",
        Amortized::Difference("savings_plan_total_commitment_to_date", "savings_plan_used_commitment"),
    ),
    ("SavingsPlanNegation", Amortized::Zero),
    ("SavingsPlanUpfrontFee", Amortized::Zero),
    ("Fee", Amortized::ZeroIfReservation),
];

/// Every column [`AMORTIZATION`] reads besides the unblended cost, the line type and the reservation ARN.
pub const AMORTIZATION_INPUTS: [&str; 6] = [
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
];

impl Amortized {
    /// The rule of a line item type.
    pub fn of(line_type: &str) -> Amortized {
        AMORTIZATION.iter().find(|(t, _)| *t == line_type).map_or(Amortized::Unblended, |(_, rule)| *rule)
    }
}

impl<C> Amortized<C> {
    /// The same rule over another column handle.
    pub fn map<D>(self, mut f: impl FnMut(C) -> D) -> Amortized<D> {
        match self {
            Amortized::Unblended => Amortized::Unblended,
            Amortized::Column(a) => Amortized::Column(f(a)),
            Amortized::Sum(a, b) => Amortized::Sum(f(a), f(b)),
            Amortized::Difference(a, b) => Amortized::Difference(f(a), f(b)),
            Amortized::Zero => Amortized::Zero,
            Amortized::ZeroIfReservation => Amortized::ZeroIfReservation,
        }
    }
}

/// Legacy CUR's (Athena's) column for a user tag key: lowercase, anything but letters and digits becomes `_`.
pub fn tag_column(key: &str) -> String {
    let mut s: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    s.insert_str(0, TAG_COLUMN_PREFIX);
    s
}

/// The nine parts a cost line is rolled up on, in the order lines are sorted: day, account, service, usage type,
/// operation, resource, unit, currency, owner tags. Two lines with equal keys are one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineKey<'a> {
    pub date: NaiveDate,
    pub account_id: &'a str,
    pub service: &'a str,
    pub usage_type: &'a str,
    pub operation: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub usage_unit: &'a str,
    pub currency: &'a str,
    pub tags: &'a str,
}

impl<'a> LineKey<'a> {
    pub fn of(l: &'a CostLine) -> LineKey<'a> {
        LineKey {
            date: l.date,
            account_id: &l.account_id,
            service: &l.service,
            usage_type: &l.usage_type,
            operation: l.operation.as_deref(),
            resource_id: l.resource_id.as_deref(),
            usage_unit: &l.usage_unit,
            currency: &l.currency,
            tags: &l.tags,
        }
    }
}

/// Lines in key order, so a recording of the same export is the same file every time.
pub fn sort_lines(lines: &mut [CostLine]) {
    lines.sort_unstable_by(|a, b| LineKey::of(a).cmp(&LineKey::of(b)));
}

/// Lines in key order with lines of the same key added up (as the rollup adds up the lines of one file). A sum
/// with an unknown quantity or amortized cost is unknown.
pub fn merge_lines(mut lines: Vec<CostLine>) -> Vec<CostLine> {
    sort_lines(&mut lines);
    let mut out: Vec<CostLine> = Vec::with_capacity(lines.len());
    lines.into_iter().for_each(|l| push_or_add(&mut out, l));
    out
}

/// `l` added to the last line when their keys are equal (an unknown quantity or amortized cost stays unknown), else
/// pushed after it.
fn push_or_add(out: &mut Vec<CostLine>, l: CostLine) {
    match out.last_mut() {
        Some(m) if LineKey::of(m) == LineKey::of(&l) => {
            m.usage_quantity = m.usage_quantity.zip(l.usage_quantity).map(|(a, b)| a + b);
            m.amount += l.amount;
            m.amortized_amount = m.amortized_amount.zip(l.amortized_amount).map(|(a, b)| a + b);
        }
        _ => out.push(l),
    }
}

/// Two runs of lines, each in key order (as every reader gives them), merged into one in key order with lines of
/// the same key added up: what [`merge_lines`] gives on their concatenation, in one linear pass and without
/// holding both runs and their sorted copy at once. An organisation's month comes as many objects, each rolled up
/// on its own; merging them one at a time keeps memory to the merged month plus one object.
pub fn merge_sorted(a: Vec<CostLine>, b: Vec<CostLine>) -> Vec<CostLine> {
    let in_order = |v: &[CostLine]| v.windows(2).all(|w| LineKey::of(&w[0]) <= LineKey::of(&w[1]));
    if !in_order(&a) || !in_order(&b) {
        let mut all = a;
        all.extend(b);
        return merge_lines(all);
    }
    let mut out: Vec<CostLine> = Vec::with_capacity(a.len().max(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if LineKey::of(x) <= LineKey::of(y) => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        let Some(l) = next else { break };
        push_or_add(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn every_amortization_input_is_listed_and_every_listed_one_is_read() {
        let mut read: Vec<&str> = Vec::new();
        for (_, rule) in AMORTIZATION {
            rule.map(|c| read.push(c));
        }
        read.sort_unstable();
        read.dedup();
        let mut listed = AMORTIZATION_INPUTS.to_vec();
        listed.sort_unstable();
        assert_eq!(read, listed);
    }

    #[test]
    fn required_columns_are_the_day_the_key_and_the_two_sums() {
        let mut want: Vec<&str> = TEXT_KEY.iter().map(|p| p.column).collect();
        want.extend([USAGE_START_DATE, USAGE_AMOUNT, UNBLENDED_COST]);
        want.sort_unstable();
        let mut got = REQUIRED.to_vec();
        got.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn tag_columns_follow_athena_naming() {
        assert_eq!(tag_column("cost-center"), "resource_tags_user_cost_center");
        assert_eq!(tag_column("Team"), "resource_tags_user_team");
    }

    #[test]
    fn unlisted_line_types_are_unblended() {
        assert_eq!(Amortized::of("Usage"), Amortized::Unblended);
        assert_eq!(Amortized::of("Tax"), Amortized::Unblended);
        assert_eq!(Amortized::of("SavingsPlanNegation"), Amortized::Zero);
    }

    /// Hand-built: two lines of one key and one of another, the second key sorting first; a line with an unknown
    /// quantity makes its key's quantity unknown.
    #[test]
    fn merging_adds_lines_of_one_key_and_keeps_unknown_unknown() {
        let line = |resource: &str, quantity: Option<i64>, amount: i64| CostLine {
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            account_id: "1".into(),
            service: "AmazonEC2".into(),
            usage_type: "EBS:VolumeUsage.gp3".into(),
            operation: None,
            resource_id: Some(resource.into()),
            tags: "{}".into(),
            usage_quantity: quantity.map(Decimal::from),
            usage_unit: "GB-Mo".into(),
            amount: Decimal::from(amount),
            amortized_amount: Some(Decimal::from(amount)),
            currency: "USD".into(),
            source: "s".into(),
        };
        let merged = merge_lines(vec![line("vol-2", Some(10), 1), line("vol-1", Some(5), 2), line("vol-2", None, 3)]);
        let view: Vec<(&str, Option<Decimal>, Decimal)> =
            merged.iter().map(|l| (l.resource_id.as_deref().unwrap(), l.usage_quantity, l.amount)).collect();
        assert_eq!(view, vec![("vol-1", Some(Decimal::from(5)), Decimal::from(2)), ("vol-2", None, Decimal::from(4))]);
    }

    /// Two objects' rollups, each in key order, with keys in common and keys of their own: merged in one pass, the
    /// same lines as sorting and merging their concatenation; out of order, the same again.
    #[test]
    fn merging_two_sorted_runs_equals_merging_their_concatenation() {
        let line = |resource: &str, amount: i64| CostLine {
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            account_id: "1".into(),
            service: "AmazonEC2".into(),
            usage_type: "BoxUsage".into(),
            operation: None,
            resource_id: Some(resource.into()),
            tags: "{}".into(),
            usage_quantity: Some(Decimal::from(amount)),
            usage_unit: "Hrs".into(),
            amount: Decimal::from(amount),
            amortized_amount: Some(Decimal::from(amount)),
            currency: "USD".into(),
            source: "s".into(),
        };
        let a = vec![line("i-1", 1), line("i-3", 3), line("i-5", 5)];
        let b = vec![line("i-2", 20), line("i-3", 30), line("i-6", 60)];
        let want = merge_lines(a.iter().chain(&b).cloned().collect());
        assert_eq!(merge_sorted(a.clone(), b.clone()), want);
        assert_eq!(want.len(), 5);
        let shuffled: Vec<CostLine> = b.iter().rev().cloned().collect();
        assert_eq!(merge_sorted(a, shuffled), want);
    }
}
