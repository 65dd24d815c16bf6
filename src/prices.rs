//! The price book: one versioned table of unit prices per region, each with its unit, source and date, and the
//! way one cluster's prices are settled: list price, then the bill's effective price, then the config's override.
//!
//! Defaults are compiled in from `price_book.toml` beside this file. A price that is asked for and not in the
//! cluster's book is reported as missing by the model, never taken as zero.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const DEFAULT_BOOK: &str = include_str!("price_book.toml");

/// A price the model can ask for: one of the fixed keys, or a broker instance type's hourly price. Spelled in the
/// book, the config's `[prices]` and `model.json` as its text (`ebs.gp3.storage`, `msk.broker.kafka.m5.large`); a
/// text that is none of these is refused where it is read, so a typo can never become a silent "missing".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PriceKey {
    Fixed(FixedPrice),
    /// `msk.broker.<instance type>`, per broker-hour.
    MskBroker(String),
    /// `ec2.instance.<instance type>`, per instance-hour.
    Ec2Instance(String),
}

/// The price keys of fixed name, with the unit each is priced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter, strum::EnumString, strum::IntoStaticStr)]
pub enum FixedPrice {
    #[strum(serialize = "transfer.inter_az")]
    InterAzTransfer,
    #[strum(serialize = "msk.transfer.replication")]
    MskReplicationTransfer,
    #[strum(serialize = "ebs.gp3.storage")]
    Gp3Storage,
    #[strum(serialize = "ebs.gp3.iops")]
    Gp3Iops,
    #[strum(serialize = "ebs.gp3.throughput")]
    Gp3Throughput,
    #[strum(serialize = "ebs.gp2.storage")]
    Gp2Storage,
    #[strum(serialize = "msk.storage")]
    MskStorage,
    #[strum(serialize = "msk.tiered.storage")]
    MskTieredStorage,
    #[strum(serialize = "msk.tiered.retrieval")]
    MskTieredRetrieval,
    /// Provisioned storage throughput of Standard brokers, beyond the volume's baseline.
    #[strum(serialize = "msk.storage.throughput")]
    MskStorageThroughput,
    #[strum(serialize = "msk.express.storage")]
    MskExpressStorage,
    #[strum(serialize = "msk.express.data_in")]
    MskExpressDataIn,
    #[strum(serialize = "msk.serverless.cluster_hours")]
    MskServerlessClusterHours,
    #[strum(serialize = "msk.serverless.partition_hours")]
    MskServerlessPartitionHours,
    #[strum(serialize = "msk.serverless.storage")]
    MskServerlessStorage,
    #[strum(serialize = "msk.serverless.data_in")]
    MskServerlessDataIn,
    #[strum(serialize = "msk.serverless.data_out")]
    MskServerlessDataOut,
    #[strum(serialize = "s3.standard.storage")]
    S3Storage,
    #[strum(serialize = "s3.standard.put")]
    S3Put,
    #[strum(serialize = "s3.standard.get")]
    S3Get,
    #[strum(serialize = "s3.express.storage")]
    S3ExpressStorage,
    #[strum(serialize = "s3.express.put")]
    S3ExpressPut,
    #[strum(serialize = "s3.express.get")]
    S3ExpressGet,
    #[strum(serialize = "s3.express.upload")]
    S3ExpressUpload,
    #[strum(serialize = "s3.express.retrieval")]
    S3ExpressRetrieval,
    #[strum(serialize = "wal.regional_disk.storage")]
    WalRegionalDisk,
    #[strum(serialize = "shared.vendor.gib_written")]
    VendorSubscription,
}

impl FixedPrice {
    /// The unit the price is per (the book's entries say the same; a test holds them to it).
    pub fn unit(self) -> &'static str {
        use FixedPrice::*;
        match self {
            InterAzTransfer => "GiB per side",
            MskReplicationTransfer
            | MskTieredRetrieval
            | MskExpressDataIn
            | MskServerlessDataIn
            | MskServerlessDataOut => "GiB",
            MskStorageThroughput => "MiB/s-month",
            MskServerlessClusterHours => "cluster-hour",
            MskServerlessPartitionHours => "partition-hour",
            S3ExpressUpload => "GiB uploaded",
            S3ExpressRetrieval => "GiB retrieved",
            Gp3Storage | Gp2Storage | MskStorage | MskTieredStorage | MskExpressStorage | MskServerlessStorage
            | S3Storage | S3ExpressStorage | WalRegionalDisk => "GiB-month",
            Gp3Iops => "IOPS-month above 3,000",
            Gp3Throughput => "MiB/s-month above 125",
            S3Put | S3Get | S3ExpressPut | S3ExpressGet => "request",
            VendorSubscription => "GiB written",
        }
    }
}

const MSK_BROKER: &str = "msk.broker.";
const EC2_INSTANCE: &str = "ec2.instance.";

impl PriceKey {
    /// The broker-hour price of `instance_type` on MSK or on EC2 (self-managed).
    pub fn broker(platform: crate::settings::Platform, instance_type: &str) -> PriceKey {
        match platform {
            crate::settings::Platform::Msk => PriceKey::MskBroker(instance_type.to_string()),
            crate::settings::Platform::SelfManaged => PriceKey::Ec2Instance(instance_type.to_string()),
        }
    }

    /// The unit the price is per.
    pub fn unit(&self) -> &'static str {
        match self {
            PriceKey::Fixed(f) => f.unit(),
            PriceKey::MskBroker(_) => "broker-hour",
            PriceKey::Ec2Instance(_) => "instance-hour",
        }
    }
}

impl From<FixedPrice> for PriceKey {
    fn from(f: FixedPrice) -> Self {
        PriceKey::Fixed(f)
    }
}

impl std::fmt::Display for PriceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceKey::Fixed(k) => f.write_str(k.into()),
            PriceKey::MskBroker(t) => write!(f, "{MSK_BROKER}{t}"),
            PriceKey::Ec2Instance(t) => write!(f, "{EC2_INSTANCE}{t}"),
        }
    }
}

/// A text that is no price key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown price key `{0}`; expected one of: {known} (or `msk.broker.<type>`, `ec2.instance.<type>`)", known = known_keys())]
pub struct UnknownKey(pub String);

fn known_keys() -> String {
    use strum::IntoEnumIterator;
    let mut keys: Vec<&str> = FixedPrice::iter().map(<&str>::from).collect();
    keys.sort();
    keys.join(", ")
}

impl std::str::FromStr for PriceKey {
    type Err = UnknownKey;
    fn from_str(s: &str) -> Result<Self, UnknownKey> {
        let instance = |rest: &str| !rest.is_empty() && !rest.contains(char::is_whitespace);
        if let Ok(f) = s.parse::<FixedPrice>() {
            return Ok(PriceKey::Fixed(f));
        }
        match (s.strip_prefix(MSK_BROKER), s.strip_prefix(EC2_INSTANCE)) {
            (Some(t), _) if instance(t) => Ok(PriceKey::MskBroker(t.to_string())),
            (_, Some(t)) if instance(t) => Ok(PriceKey::Ec2Instance(t.to_string())),
            _ => Err(UnknownKey(s.to_string())),
        }
    }
}

/// Ordered as its text, so books and tables list prices alphabetically.
impl Ord for PriceKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for PriceKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for PriceKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PriceKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The region of entries that apply everywhere.
pub const ANY_REGION: &str = "*";

/// Where a price in use came from.
/// Where a price came from: the report's word for it.
pub use crate::report_model::PriceBasis as Basis;

/// One unit price and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub key: PriceKey,
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
    pub key: PriceKey,
    pub usd: Decimal,
    /// The config file, for the price's source.
    pub origin: String,
}

/// An effective unit price derived from a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePrice {
    pub key: PriceKey,
    pub usd: Decimal,
    pub source: String,
    pub as_of: String,
}

/// A shared-storage vendor's subscription, per GiB written. No public list price: $0 until `[prices]` sets it, and
/// its line is always shown so nobody reads shared storage as free of it.
pub const VENDOR_KEY: FixedPrice = FixedPrice::VendorSubscription;

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
        let mut by_key: BTreeMap<&PriceKey, &Price> = BTreeMap::new();
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

    pub fn get(&self, key: &PriceKey) -> Option<&Price> {
        self.prices.iter().find(|p| p.key == *key)
    }

    /// A region's book settled for one cluster: list prices, replaced by the bill's effective prices, replaced by
    /// the config's overrides (every-region ones first, then the region's own).
    pub fn settle(&self, region: &str, effective: &[EffectivePrice], overrides: &[PriceOverride]) -> PriceBook {
        let mut book = self.for_region(region);
        book.set(
            region,
            &VENDOR_KEY.into(),
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

    fn set(&mut self, region: &str, key: &PriceKey, usd: Decimal, basis: Basis, source: &str, as_of: &str) {
        if let Some(p) = self.prices.iter_mut().find(|p| p.key == *key) {
            p.usd = usd;
            p.basis = basis;
            p.source = source.into();
            p.as_of = as_of.into();
            return;
        }
        self.prices.push(Price {
            key: key.clone(),
            region: region.into(),
            unit: key.unit().into(),
            usd,
            source: source.into(),
            as_of: as_of.into(),
            basis,
        });
        self.prices.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

/// One region's prices fetched from the AWS Price List Query API (`kafka-finops prices refresh`), as cached in
/// `<cache>/prices/<region>.json`. Each price keeps its SKU and the offer's publication date in its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refreshed {
    /// The cache file's layout; a file of another version is refused, never half-read.
    pub version: u32,
    pub region: String,
    /// When the prices were fetched (RFC 3339).
    pub fetched: String,
    pub prices: Vec<Price>,
}

impl Refreshed {
    pub const VERSION: u32 = 1;

    /// Where a region's refreshed prices are cached under the tool's cache directory.
    pub fn path(cache_dir: &std::path::Path, region: &str) -> std::path::PathBuf {
        cache_dir.join("prices").join(format!("{region}.json"))
    }
}

impl PriceBook {
    /// The book with a region's refreshed prices in place of its list prices of the same key (and beside them
    /// where the bundled book has none).
    pub fn with_refreshed(mut self, refreshed: &Refreshed) -> PriceBook {
        let region = refreshed.region.as_str();
        self.prices.retain(|p| p.region != region || !refreshed.prices.iter().any(|r| r.key == p.key));
        self.prices.extend(refreshed.prices.iter().map(|p| Price { region: region.into(), ..p.clone() }));
        self
    }
}

/// Checks a config override's price: 0 or more (its key is checked where it is read, as a [`PriceKey`]).
pub fn check_override(usd: Decimal) -> Result<(), OverrideError> {
    if usd < Decimal::ZERO {
        return Err(OverrideError::Negative(usd));
    }
    Ok(())
}

/// Why a config price override is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("expected a price of 0 or more (USD per unit), found {0}")]
    Negative(Decimal),
    #[error(transparent)]
    UnknownKey(#[from] UnknownKey),
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn the_report_cites_aws_and_where_a_record_was_read_stays_in_the_book() {
        // A reviewer's table names AWS's pricing page or Price List record; a public repository that copies the
        // record (where it was read here) is the entry's `found_in`, which the report never shows.
        let raw: toml::Table = DEFAULT_BOOK.parse().unwrap();
        let entries = raw["prices"].as_array().unwrap();
        let mut found_in = 0;
        for e in entries {
            let source = e["source"].as_str().unwrap();
            let commit =
                source.split(['@', ' ', ':', ';']).any(|w| w.len() == 40 && w.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(!commit && !source.contains("verbatim") && !source.contains("cached in"), "{source}");
            if let Some(repo) = e.get("found_in") {
                assert!(repo.as_str().unwrap().contains(" @"), "{repo}");
                found_in += 1;
            }
        }
        assert!(found_in > 0, "the book says where its copied records were read");
        let book = PriceBook::defaults();
        assert!(book.prices.iter().all(|p| !p.source.contains("found_in")));
    }

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
        assert_eq!(frankfurt.get(&"ebs.gp3.storage".parse().unwrap()).unwrap().usd, dec!(0.0952));
        assert_eq!(frankfurt.get(&"transfer.inter_az".parse().unwrap()).unwrap().region, "eu-central-1");
        assert_eq!(frankfurt.get(&"msk.storage".parse().unwrap()).unwrap().usd, dec!(0.119));
        assert_eq!(
            book.for_region("ap-south-2").get(&"msk.storage".parse().unwrap()),
            None,
            "no MSK price for a region outside the bundled book: missing, not borrowed"
        );
        assert_eq!(PriceBook::default_us_east_1().get(&"ebs.gp3.storage".parse().unwrap()).unwrap().usd, dec!(0.08));
        assert!(book.for_region("ap-south-2").get(&"ebs.gp3.storage".parse().unwrap()).is_none());
    }

    #[test]
    fn bill_prices_replace_list_prices_and_overrides_replace_both() {
        let book = PriceBook::defaults();
        let bill = [EffectivePrice {
            key: "msk.storage".parse::<crate::prices::PriceKey>().unwrap(),
            usd: dec!(0.095),
            source: "bill".into(),
            as_of: "2026-10".into(),
        }];
        let overrides = [
            PriceOverride {
                region: None,
                key: "ebs.gp3.storage".parse::<crate::prices::PriceKey>().unwrap(),
                usd: dec!(0.07),
                origin: "my.toml".into(),
            },
            PriceOverride {
                region: Some("us-east-1".into()),
                key: "ebs.gp3.storage".parse::<crate::prices::PriceKey>().unwrap(),
                usd: dec!(0.075),
                origin: "my.toml".into(),
            },
            PriceOverride {
                region: Some("eu-west-1".into()),
                key: "s3.standard.storage".parse::<crate::prices::PriceKey>().unwrap(),
                usd: dec!(0.5),
                origin: "my.toml".into(),
            },
            PriceOverride {
                region: None,
                key: "msk.broker.kafka.m7g.large".parse::<crate::prices::PriceKey>().unwrap(),
                usd: dec!(0.2),
                origin: "my.toml".into(),
            },
        ];
        let settled = book.settle("us-east-1", &bill, &overrides);
        let msk = settled.get(&"msk.storage".parse().unwrap()).unwrap();
        assert_eq!((msk.usd, msk.basis), (dec!(0.095), Basis::Bill));
        let gp3 = settled.get(&"ebs.gp3.storage".parse().unwrap()).unwrap();
        assert_eq!((gp3.usd, gp3.basis), (dec!(0.075), Basis::Override), "the region's own override is applied last");
        assert_eq!(
            settled.get(&"s3.standard.storage".parse().unwrap()).unwrap().usd,
            dec!(0.023),
            "another region's override"
        );
        assert_eq!(settled.get(&"msk.broker.kafka.m7g.large".parse().unwrap()).unwrap().unit, "broker-hour");
    }

    #[test]
    fn refreshed_prices_replace_the_bundled_ones_of_their_region_only() {
        let fetched = Price {
            key: "msk.storage".parse().unwrap(),
            region: "eu-west-1".into(),
            unit: "GiB-month".into(),
            usd: dec!(0.115),
            source: "AWS Price List API, AmazonMSK offer 20261201000000 (eu-west-1), SKU XD5CKQJUWSR8GDWJ".into(),
            as_of: "2026-12-01".into(),
            basis: Basis::Refreshed,
        };
        let refreshed = Refreshed {
            version: 1,
            region: "eu-west-1".into(),
            fetched: "2026-12-07T00:00:00Z".into(),
            prices: vec![fetched],
        };
        let book = PriceBook::defaults().with_refreshed(&refreshed);
        let ireland = book.for_region("eu-west-1");
        let storage = ireland.get(&"msk.storage".parse().unwrap()).unwrap();
        assert_eq!((storage.usd, storage.basis), (dec!(0.115), Basis::Refreshed));
        let broker = ireland.get(&"msk.broker.kafka.m5.large".parse().unwrap()).unwrap();
        assert_eq!((broker.usd, broker.basis), (dec!(0.234), Basis::List), "keys not refreshed stay bundled");
        let frankfurt = book.for_region("eu-central-1");
        assert_eq!(frankfurt.get(&"msk.storage".parse().unwrap()).unwrap().usd, dec!(0.119), "another region");
        // The bill's effective price still replaces a refreshed list price.
        let bill = [EffectivePrice {
            key: "msk.storage".parse().unwrap(),
            usd: dec!(0.1),
            source: "bill".into(),
            as_of: "2026-11".into(),
        }];
        assert_eq!(
            book.settle("eu-west-1", &bill, &[]).get(&"msk.storage".parse().unwrap()).unwrap().basis,
            Basis::Bill
        );
    }

    #[test]
    fn overrides_refuse_negatives_and_typos() {
        assert!(check_override(dec!(-1)).unwrap_err().to_string().contains("0 or more"));
        assert!(check_override(dec!(0.2)).is_ok());
        let typo = "ebs.gp9.storage".parse::<PriceKey>().unwrap_err().to_string();
        assert!(typo.starts_with("unknown price key `ebs.gp9.storage`; expected one of: ebs.gp2.storage, "), "{typo}");
        assert_eq!("msk.broker.kafka.m7g.large".parse(), Ok(PriceKey::MskBroker("kafka.m7g.large".into())));
        assert_eq!("ec2.instance.m7g.4xlarge".parse(), Ok(PriceKey::Ec2Instance("m7g.4xlarge".into())));
        assert!("msk.broker.".parse::<PriceKey>().is_err(), "a broker key needs its instance type");
    }

    #[test]
    fn msk_is_priced_in_every_bundled_region_as_awss_pricing_data_publishes_it() {
        // Published: AWS's metered-unit map for MSK (msk.json, 2025-04-04), the data behind the MSK pricing page,
        // us-east-1: kafka.m5.large $0.21 a broker-hour, storage $0.10 a GB-month, tiered storage $0.06 a GB-month,
        // tiered retrieval $0.0015 a GB, express.m7g.large $0.408 a broker-hour, Express data written $0.01 a GB.
        let us = PriceBook::default_us_east_1();
        for (key, usd) in [
            ("msk.broker.kafka.m5.large", dec!(0.21)),
            ("msk.storage", dec!(0.10)),
            ("msk.tiered.storage", dec!(0.06)),
            ("msk.tiered.retrieval", dec!(0.0015)),
            ("msk.broker.express.m7g.large", dec!(0.408)),
            ("msk.express.data_in", dec!(0.01)),
        ] {
            let price = us.get(&key.parse().unwrap()).unwrap_or_else(|| panic!("{key} missing"));
            assert_eq!(price.usd, usd, "{key}");
            assert!(price.source.contains("published 2025-04-04") && price.source.contains("SKU "), "{price:?}");
        }
        // Every MSK price a Standard, Express or Serverless cluster can need, in each of the four regions.
        let sizes = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
        let mut keys: Vec<String> = ["msk.storage", "msk.storage.throughput", "msk.tiered.storage"]
            .into_iter()
            .chain(["msk.tiered.retrieval", "msk.express.storage", "msk.express.data_in"])
            .chain(["msk.serverless.cluster_hours", "msk.serverless.partition_hours", "msk.serverless.storage"])
            .chain(["msk.serverless.data_in", "msk.serverless.data_out", "msk.broker.kafka.t3.small"])
            .map(String::from)
            .collect();
        for family in ["kafka.m5", "kafka.m7g", "express.m7g"] {
            keys.extend(sizes.iter().map(|s| format!("msk.broker.{family}.{s}")));
        }
        for region in ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"] {
            let book = PriceBook::defaults().for_region(region);
            for key in &keys {
                assert!(book.get(&key.parse().unwrap()).is_some(), "{key} missing in {region}");
            }
        }
        // Regions differ: Frankfurt's Express broker is dearer than Virginia's (published: $0.489 against $0.408).
        let frankfurt = PriceBook::defaults().for_region("eu-central-1");
        assert_eq!(frankfurt.get(&"msk.broker.express.m7g.large".parse().unwrap()).unwrap().usd, dec!(0.489));
    }

    /// Keys the model prices that no region of the compiled-in book has an AWS-sourced entry for (the book's header
    /// says why): they come from a bill or the config, and are missing until then.
    const UNSOURCED: &[FixedPrice] = &[FixedPrice::WalRegionalDisk, FixedPrice::VendorSubscription];

    #[test]
    fn every_key_the_model_can_price_is_in_the_book_or_declared_unsourced_and_units_agree() {
        use strum::IntoEnumIterator;
        let book = PriceBook::defaults();
        for fixed in FixedPrice::iter() {
            let key = PriceKey::from(fixed);
            let in_book = book.prices.iter().any(|p| p.key == key);
            assert!(
                in_book != UNSOURCED.contains(&fixed),
                "{key}: in the book {in_book}, declared unsourced {}",
                !in_book
            );
            // The text reads back as the same key.
            assert_eq!(key.to_string().parse::<PriceKey>(), Ok(key));
        }
        for p in &book.prices {
            assert_eq!(p.unit, p.key.unit(), "{} ({}): the book's unit and the key's differ", p.key, p.region);
        }
    }
}
