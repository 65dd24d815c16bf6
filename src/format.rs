//! All formatting of money, bytes, rates, durations and percentages for people: the renderers, and the model's
//! one-line reasons (scorecard, next actions), call these; nothing else formats a figure.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `$1,234.57` (two decimals, thousands separators); negative as `-$12.00`.
pub fn usd(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    let text = format!("{:.2}", rounded.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
    format!("{sign}${}.{frac}", group_thousands(whole))
}

/// `$1,234.57`, or `unknown` (a cost missing a part: never shown as the part that could be priced).
pub fn known_usd(amount: Option<Decimal>) -> String {
    amount.map(usd).unwrap_or_else(|| "unknown".into())
}

/// A change in money: `+$12.00`, `-$3.50`, `$0.00`.
pub fn signed_usd(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    if rounded > Decimal::ZERO { format!("+{}", usd(rounded)) } else { usd(rounded) }
}

/// A unit price, with as many decimals as it needs (`$0.0000004`).
pub fn unit_price(amount: Decimal) -> String {
    format!("${}", amount.normalize())
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Binary units, as AWS bills storage: `1.50 TiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.2} {}", UNITS[unit]) }
}

/// A change in bytes: `+1.2 GB`, `-300 MB`, `0 B`.
pub fn signed_bytes(n: i64) -> String {
    match n.signum() {
        1 => format!("+{}", bytes(n)),
        -1 => format!("-{}", bytes(n.saturating_abs())),
        _ => bytes(0),
    }
}

pub fn opt_bytes(n: Option<i64>) -> String {
    n.map(bytes).unwrap_or_else(|| "unknown".into())
}

pub fn rate(bytes_per_sec: Option<f64>) -> String {
    match bytes_per_sec {
        Some(r) => format!("{}/s", bytes(r.round() as i64)),
        None => "no metric".into(),
    }
}

/// Kafka retention: `-1` is forever; None is a config that could not be read.
pub fn opt_retention_ms(ms: Option<i64>) -> String {
    ms.map(retention_ms).unwrap_or_else(|| "unknown".into())
}

/// How long something is behind: `under a minute`, `12 min`, `5.5 h`, `247.1 d`.
pub fn duration_ms(ms: i64) -> String {
    let minutes = ms as f64 / 60_000.0;
    if minutes < 1.0 {
        "under a minute".into()
    } else if minutes < 60.0 {
        format!("{} min", minutes.round())
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} d", minutes / 1440.0)
    }
}

/// Kafka retention: `-1` is forever.
pub fn retention_ms(ms: i64) -> String {
    if ms < 0 {
        return "forever".into();
    }
    let hours = ms as f64 / 3_600_000.0;
    if hours >= 48.0 && (hours / 24.0).fract() == 0.0 {
        format!("{} d", hours / 24.0)
    } else if hours >= 1.0 {
        format!("{} h", (hours * 10.0).round() / 10.0)
    } else {
        format!("{} min", ms / 60_000)
    }
}

pub fn percent(share: Decimal) -> String {
    format!("{:.1}%", (share * Decimal::ONE_HUNDRED).to_f64().unwrap_or(0.0))
}

/// A quantity with at most 3 decimals and thousands separators.
pub fn quantity(q: Decimal) -> String {
    let text = format!("{:.3}", q.round_dp(3));
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (whole, frac) = text.split_once('.').map_or((text, None), |(w, f)| (w, Some(f)));
    let (sign, whole) = whole.strip_prefix('-').map_or(("", whole), |w| ("-", w));
    match frac {
        Some(f) => format!("{sign}{}.{f}", group_thousands(whole)),
        None => format!("{sign}{}", group_thousands(whole)),
    }
}

pub fn count(n: i64) -> String {
    let (sign, digits) = if n < 0 { ("-", (-n).to_string()) } else { ("", n.to_string()) };
    format!("{sign}{}", group_thousands(&digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn formats() {
        assert_eq!(usd(dec!(1234567.891)), "$1,234,567.89");
        assert_eq!(usd(dec!(-12)), "-$12.00");
        assert_eq!(usd(dec!(0.004)), "$0.00");
        assert_eq!(unit_price(dec!(0.00000040)), "$0.0000004");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024 / 2), "1.50 GiB");
        assert_eq!(retention_ms(-1), "forever");
        assert_eq!(retention_ms(604_800_000), "7 d");
        assert_eq!(retention_ms(86_400_000), "24 h");
        assert_eq!(retention_ms(3_600_000), "1 h");
        assert_eq!(quantity(dec!(1095.0004)), "1,095");
        assert_eq!(quantity(dec!(2566.40625)), "2,566.406");
        assert_eq!(percent(dec!(0.6667)), "66.7%");
        assert_eq!(count(-1234), "-1,234");
    }
}
