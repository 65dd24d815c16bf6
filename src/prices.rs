//! The price book: one versioned table of unit prices per region, each with its unit, source and date, and the
//! way one cluster's prices are settled: list price, then the bill's effective price, then the config's override.
//!
//! Defaults are compiled in from `price_book.toml` beside this file. A price that is asked for and not in the
//! cluster's book is reported as missing by the model, never taken as zero.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const DEFAULT_BOOK: &str = include_str!("price_book.toml");

/// The region of entries that apply everywhere.
pub const ANY_REGION: &str = "*";

/// Where a price in use came from.
/// Where a price came from: the report's word for it.
pub use crate::report_model::PriceBasis as Basis;

/// One unit price and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub key: String,
    pub region: String,
    pub unit: String,
    pub usd: Decimal,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub basis: Basis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBook {
    pub version: String,
    pub prices: Vec<Price>,
}

/// A price set in the config: for every region (`region: None`) or one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceOverride {
    pub region: Option<String>,
    pub key: String,
    pub usd: Decimal,
    /// The config file, for the price's source.
    pub origin: String,
}

/// An effective unit price derived from a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePrice {
    pub key: String,
    pub usd: Decimal,
    pub source: String,
    pub as_of: String,
}

/// Keys a config may set although the book lacks them: further broker instance types, and prices the book has no
/// sourced entry for in any region.
const ADDABLE_PREFIXES: &[(&str, &str)] = &[
    ("msk.broker.", "broker-hour"),
    ("ec2.instance.", "instance-hour"),
    ("msk.storage", "GiB-month"),
    ("msk.tiered.storage", "GiB-month"),
    ("msk.tiered.retrieval", "GiB"),
    ("wal.regional_disk.storage", "GiB-month"),
    (VENDOR_KEY, "GiB written"),
];

/// A shared-storage vendor's subscription, per GiB written. No public list price: $0 until `[prices]` sets it, and
/// its line is always shown so nobody reads shared storage as free of it.
pub const VENDOR_KEY: &str = "shared.vendor.gib_written";

impl PriceBook {
    /// The compiled-in book, every region.
    pub fn defaults() -> Self {
        toml::from_str(DEFAULT_BOOK).expect("the compiled-in price book is valid TOML (checked by a unit test)")
    }

    /// The compiled-in book's prices for us-east-1 (the region most examples and tests use).
    pub fn default_us_east_1() -> Self {
        Self::defaults().for_region("us-east-1")
    }

    /// One region's prices: its own entries, and the every-region ones it does not override.
    pub fn for_region(&self, region: &str) -> PriceBook {
        let mut by_key: BTreeMap<&str, &Price> = BTreeMap::new();
        for p in self.prices.iter().filter(|p| p.region == ANY_REGION) {
            by_key.insert(&p.key, p);
        }
        for p in self.prices.iter().filter(|p| p.region == region) {
            by_key.insert(&p.key, p);
        }
        let prices = by_key
            .into_values()
            .map(|p| Price {
                region: if p.region == ANY_REGION { region.into() } else { p.region.clone() },
                ..p.clone()
            })
            .collect();
        PriceBook { version: self.version.clone(), prices }
    }

    pub fn get(&self, key: &str) -> Option<&Price> {
        self.prices.iter().find(|p| p.key == key)
    }

    /// A region's book settled for one cluster: list prices, replaced by the bill's effective prices, replaced by
    /// the config's overrides (every-region ones first, then the region's own).
    pub fn settle(&self, region: &str, effective: &[EffectivePrice], overrides: &[PriceOverride]) -> PriceBook {
        let mut book = self.for_region(region);
        book.set(
            region,
            VENDOR_KEY,
            Decimal::ZERO,
            Basis::Unset,
            "no vendor subscription priced: set `[prices] \"shared.vendor.gib_written\"` to a vendor's price per GiB \
             written",
            "config",
        );
        for e in effective {
            book.set(region, &e.key, e.usd, Basis::Bill, &e.source, &e.as_of);
        }
        let mine = |o: &&PriceOverride| o.region.as_deref().is_none_or(|r| r == region);
        let (everywhere, regional): (Vec<&PriceOverride>, Vec<&PriceOverride>) =
            overrides.iter().filter(mine).partition(|o| o.region.is_none());
        for o in everywhere.into_iter().chain(regional) {
            book.set(region, &o.key, o.usd, Basis::Override, &format!("override in {}", o.origin), "config");
        }
        book
    }

    fn set(&mut self, region: &str, key: &str, usd: Decimal, basis: Basis, source: &str, as_of: &str) {
        if let Some(p) = self.prices.iter_mut().find(|p| p.key == key) {
            p.usd = usd;
            p.basis = basis;
            p.source = source.into();
            p.as_of = as_of.into();
            return;
        }
        let unit = unit_of(key).unwrap_or("unit");
        self.prices.push(Price {
            key: key.into(),
            region: region.into(),
            unit: unit.into(),
            usd,
            source: source.into(),
            as_of: as_of.into(),
            basis,
        });
        self.prices.sort_by(|a, b| a.key.cmp(&b.key));
    }

    /// Checks a config override: a price of 0 or more, for a key the book knows (in any region) or a new broker
    /// instance type.
    pub fn check_override(&self, key: &str, usd: Decimal) -> Result<(), OverrideError> {
        if usd < Decimal::ZERO {
            return Err(OverrideError::Negative(usd));
        }
        if self.prices.iter().any(|p| p.key == key) || ADDABLE_PREFIXES.iter().any(|(p, _)| key.starts_with(p)) {
            return Ok(());
        }
        let mut known: Vec<&str> = self.prices.iter().map(|p| p.key.as_str()).collect();
        known.sort();
        known.dedup();
        Err(OverrideError::UnknownKey { key: key.to_string(), known: known.join(", ") })
    }
}

/// Why a config price override is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("expected a price of 0 or more (USD per unit), found {0}")]
    Negative(Decimal),
    #[error(
        "unknown price key `{key}`; expected one of: {known} (or a new `msk.broker.<type>`, `ec2.instance.<type>`, \
         `msk.storage`, `msk.tiered.storage`, `msk.tiered.retrieval`, `wal.regional_disk.storage`, `{VENDOR_KEY}`)"
    )]
    UnknownKey { key: String, known: String },
}

/// The unit of a key the book may lack (broker instance types).
fn unit_of(key: &str) -> Option<&'static str> {
    ADDABLE_PREFIXES.iter().find(|(p, _)| key.starts_with(p)).map(|(_, u)| *u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn default_book_parses_and_every_entry_has_a_source_and_date() {
        let book = PriceBook::defaults();
        for p in &book.prices {
            assert!(!p.source.is_empty() && !p.as_of.is_empty() && !p.unit.is_empty(), "{p:?}");
            // AWS's own word: a page on aws.amazon.com or a Price List API record, never a third party's.
            assert!(
                p.source.contains("https://aws.amazon.com/") || p.source.starts_with("AWS Price List API"),
                "{} ({}) is not cited to AWS: {}",
                p.key,
                p.region,
                p.source
            );
            for third_party in ["as quoted", "public pricing", "blog", ".com, '"] {
                assert!(!p.source.contains(third_party), "{} ({}): {}", p.key, p.region, p.source);
            }
            assert!(p.usd >= Decimal::ZERO, "{p:?}");
            assert_eq!(p.basis, Basis::List);
        }
        let mut regions: Vec<&str> =
            book.prices.iter().map(|p| p.region.as_str()).filter(|r| *r != ANY_REGION).collect();
        regions.sort();
        regions.dedup();
        assert_eq!(regions, ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"]);
        let mut seen = std::collections::BTreeSet::new();
        for p in &book.prices {
            assert!(seen.insert((&p.region, &p.key)), "{} listed twice for {}", p.key, p.region);
        }
    }

    #[test]
    fn a_region_gets_its_own_prices_and_the_every_region_ones_and_lacks_the_rest() {
        let book = PriceBook::defaults();
        let frankfurt = book.for_region("eu-central-1");
        assert_eq!(frankfurt.get("ebs.gp3.storage").unwrap().usd, dec!(0.0952));
        assert_eq!(frankfurt.get("transfer.inter_az").unwrap().region, "eu-central-1");
        assert_eq!(frankfurt.get("msk.storage"), None, "no sourced MSK price for Frankfurt: missing, not borrowed");
        assert_eq!(PriceBook::default_us_east_1().get("ebs.gp3.storage").unwrap().usd, dec!(0.08));
        assert!(book.for_region("ap-south-2").get("ebs.gp3.storage").is_none());
    }

    #[test]
    fn bill_prices_replace_list_prices_and_overrides_replace_both() {
        let book = PriceBook::defaults();
        let bill = [EffectivePrice {
            key: "msk.storage".into(),
            usd: dec!(0.095),
            source: "bill".into(),
            as_of: "2026-10".into(),
        }];
        let overrides = [
            PriceOverride { region: None, key: "ebs.gp3.storage".into(), usd: dec!(0.07), origin: "my.toml".into() },
            PriceOverride {
                region: Some("us-east-1".into()),
                key: "ebs.gp3.storage".into(),
                usd: dec!(0.075),
                origin: "my.toml".into(),
            },
            PriceOverride {
                region: Some("eu-west-1".into()),
                key: "s3.standard.storage".into(),
                usd: dec!(0.5),
                origin: "my.toml".into(),
            },
            PriceOverride {
                region: None,
                key: "msk.broker.kafka.m7g.large".into(),
                usd: dec!(0.2),
                origin: "my.toml".into(),
            },
        ];
        let settled = book.settle("us-east-1", &bill, &overrides);
        let msk = settled.get("msk.storage").unwrap();
        assert_eq!((msk.usd, msk.basis), (dec!(0.095), Basis::Bill));
        let gp3 = settled.get("ebs.gp3.storage").unwrap();
        assert_eq!((gp3.usd, gp3.basis), (dec!(0.075), Basis::Override), "the region's own override is applied last");
        assert_eq!(settled.get("s3.standard.storage").unwrap().usd, dec!(0.023), "another region's override");
        assert_eq!(settled.get("msk.broker.kafka.m7g.large").unwrap().unit, "broker-hour");
    }

    #[test]
    fn overrides_refuse_negatives_and_typos() {
        let book = PriceBook::defaults();
        assert!(book.check_override("ebs.gp3.storage", dec!(-1)).unwrap_err().to_string().contains("0 or more"));
        assert!(book.check_override("ebs.gp9.storage", dec!(1)).unwrap_err().to_string().contains("unknown price key"));
        assert!(book.check_override("msk.broker.kafka.m7g.large", dec!(0.2)).is_ok());
    }
}
