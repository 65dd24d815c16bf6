//! The price book: one versioned table of unit prices, each with its unit, source and date.
//!
//! Defaults are compiled in from `price_book.toml` beside this file; a config's `[prices]` table overrides entries.
//! A price that is asked for and not in the book is reported as missing by the model, never taken as zero.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const DEFAULT_BOOK: &str = include_str!("price_book.toml");

/// One unit price and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub key: String,
    pub unit: String,
    pub usd: Decimal,
    pub source: String,
    pub as_of: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBook {
    pub version: String,
    pub region: String,
    pub prices: Vec<Price>,
}

/// Keys a config may add although the default book lacks them: further broker instance types.
const ADDABLE_PREFIXES: &[(&str, &str)] = &[("msk.broker.", "broker-hour"), ("ec2.instance.", "instance-hour")];

impl PriceBook {
    /// The compiled-in book (us-east-1 list prices).
    pub fn default_us_east_1() -> Self {
        toml::from_str(DEFAULT_BOOK).expect("the compiled-in price book is valid TOML (checked by a unit test)")
    }

    pub fn get(&self, key: &str) -> Option<&Price> {
        self.prices.iter().find(|p| p.key == key)
    }

    /// Replaces (or, for instance types, adds) one price. `origin` names the config file for the price source.
    pub fn set_override(&mut self, key: &str, usd: Decimal, origin: &str) -> Result<(), String> {
        if usd < Decimal::ZERO {
            return Err(format!("expected a price of 0 or more (USD per unit), found {usd}"));
        }
        let source = format!("override in {origin}");
        if let Some(p) = self.prices.iter_mut().find(|p| p.key == key) {
            p.usd = usd;
            p.source = source;
            p.as_of = "config".into();
            return Ok(());
        }
        match ADDABLE_PREFIXES.iter().find(|(prefix, _)| key.starts_with(prefix)) {
            Some((_, unit)) => {
                self.prices.push(Price { key: key.into(), unit: (*unit).into(), usd, source, as_of: "config".into() });
                self.prices.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(())
            }
            None => {
                let known: Vec<&str> = self.prices.iter().map(|p| p.key.as_str()).collect();
                Err(format!(
                    "unknown price key `{key}`; expected one of: {} (or a new `msk.broker.<type>` / `ec2.instance.<type>`)",
                    known.join(", ")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn default_book_parses_and_every_entry_has_a_source_and_date() {
        let book = PriceBook::default_us_east_1();
        assert!(book.prices.len() >= 10);
        for p in &book.prices {
            assert!(!p.source.is_empty() && !p.as_of.is_empty() && !p.unit.is_empty(), "{p:?}");
            assert!(p.usd >= Decimal::ZERO, "{p:?}");
        }
        assert_eq!(book.get("ebs.gp3.storage").unwrap().usd, dec!(0.08));
    }

    #[test]
    fn overrides_replace_add_instance_types_and_refuse_negatives_and_typos() {
        let mut book = PriceBook::default_us_east_1();
        book.set_override("ebs.gp3.storage", dec!(0.07), "my.toml").unwrap();
        assert_eq!(book.get("ebs.gp3.storage").unwrap().usd, dec!(0.07));
        assert_eq!(book.get("ebs.gp3.storage").unwrap().source, "override in my.toml");
        book.set_override("msk.broker.kafka.m7g.large", dec!(0.204), "my.toml").unwrap();
        assert_eq!(book.get("msk.broker.kafka.m7g.large").unwrap().unit, "broker-hour");
        assert!(book.set_override("ebs.gp3.storage", dec!(-1), "my.toml").unwrap_err().contains("0 or more"));
        assert!(book.set_override("ebs.gp9.storage", dec!(1), "my.toml").unwrap_err().contains("unknown price key"));
    }
}
