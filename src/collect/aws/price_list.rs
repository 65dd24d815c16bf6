//! Prices fetched from the AWS Price List Query API (`pricing:GetProducts`), for `kafka-finops prices refresh`.
//!
//! Each GetProducts answer holds `PriceList`, a list of JSON documents, one per product: its `sku`, its attributes
//! (`usagetype`, `regionCode`, the instance type, ...) and its on-demand terms, each with price dimensions (unit,
//! USD per unit, the tier it applies to). [`parse`] reads one document into the book's prices it maps to; the
//! mapping (which usage type is which book key) is the table [`RULES`], one row per key, the same usage types the
//! bundled book's entries cite (a test holds the two to the same keys). The fetched prices are cached per region
//! with each price's SKU and the offer's publication date (`prices::Refreshed`), and their basis is `refreshed`.

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::prices::{Basis, Price, PriceKey, Refreshed};

/// The services asked, each with the filters that keep the answer to what the book prices.
pub const SERVICES: &[(&str, &[(&str, &str)])] = &[
    ("AmazonMSK", &[]),
    ("AmazonEC2", &[("productFamily", "Compute Instance"), ("operatingSystem", "Linux"), ("tenancy", "Shared")]),
    ("AmazonEC2", &[("productFamily", "Storage")]),
    ("AmazonEC2", &[("productFamily", "Provisioned Throughput")]),
    ("AmazonEC2", &[("productFamily", "System Operation")]),
    ("AmazonS3", &[("storageClass", "General Purpose")]),
    ("AmazonS3", &[("productFamily", "API Request")]),
    ("AWSDataTransfer", &[("transferType", "IntraRegion")]),
];

/// How a usage type (its region prefix removed) becomes a book key: the key's text, or a pattern whose `*` is the
/// instance type. `divide` converts AWS's unit to the book's (EBS gp3 throughput: per GiBps-month → per MiBps-month).
struct Rule {
    service: &'static str,
    usage: &'static str,
    key: &'static str,
    divide: u32,
}

const fn rule(service: &'static str, usage: &'static str, key: &'static str) -> Rule {
    Rule { service, usage, key, divide: 1 }
}

/// Usage types (without the region prefix AWS puts before them outside us-east-1) → book keys.
const RULES: &[Rule] = &[
    rule("AmazonMSK", "Kafka.*", "msk.broker.kafka.*"),
    rule("AmazonMSK", "Express.*", "msk.broker.express.*"),
    rule("AmazonMSK", "Kafka.Storage.GP2", "msk.storage"),
    rule("AmazonMSK", "Kafka.Throughput", "msk.storage.throughput"),
    rule("AmazonMSK", "Kafka.Storage.Tiered", "msk.tiered.storage"),
    rule("AmazonMSK", "Kafka.DataRetrieval.Tiered", "msk.tiered.retrieval"),
    rule("AmazonMSK", "Express.Storage", "msk.express.storage"),
    rule("AmazonMSK", "Express.In-Bytes", "msk.express.data_in"),
    rule("AmazonMSK", "KafkaServerless-ClusterHours", "msk.serverless.cluster_hours"),
    rule("AmazonMSK", "KafkaServerless-PartitionHours", "msk.serverless.partition_hours"),
    rule("AmazonMSK", "KafkaServerless-StorageHours", "msk.serverless.storage"),
    rule("AmazonMSK", "KafkaServerless-In-Bytes", "msk.serverless.data_in"),
    rule("AmazonMSK", "KafkaServerless-Out-Bytes", "msk.serverless.data_out"),
    rule("AmazonEC2", "BoxUsage:*", "ec2.instance.*"),
    rule("AmazonEC2", "EBS:VolumeUsage.gp3", "ebs.gp3.storage"),
    rule("AmazonEC2", "EBS:VolumeUsage.gp2", "ebs.gp2.storage"),
    rule("AmazonEC2", "EBS:VolumeP-IOPS.gp3", "ebs.gp3.iops"),
    Rule { service: "AmazonEC2", usage: "EBS:VolumeP-Throughput.gp3", key: "ebs.gp3.throughput", divide: 1024 },
    rule("AmazonS3", "TimedStorage-ByteHrs", "s3.standard.storage"),
    rule("AmazonS3", "Requests-Tier1", "s3.standard.put"),
    rule("AmazonS3", "Requests-Tier2", "s3.standard.get"),
    rule("AWSDataTransfer", "DataTransfer-Regional-Bytes", "transfer.inter_az"),
];

/// The region prefix of a usage type (`USE1-`, `EU-`, `EUC1-`, `CAN1-`), absent in us-east-1 for most services.
fn without_region(usage: &str) -> &str {
    match usage.split_once('-') {
        Some((head, rest))
            if (2..=5).contains(&head.len())
                && head.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && head.starts_with(|c: char| c.is_ascii_uppercase()) =>
        {
            rest
        }
        _ => usage,
    }
}

/// The book key a service's usage type maps to, if any: an exact usage type first, then a pattern.
pub fn key_of(service: &str, usage_type: &str) -> Option<PriceKey> {
    let usage = without_region(usage_type);
    let rules = || RULES.iter().filter(|r| r.service == service);
    let exact = rules().find(|r| r.usage == usage).map(|r| r.key.to_string());
    let pattern = || {
        rules().find_map(|r| {
            let rest = usage.strip_prefix(r.usage.strip_suffix('*')?)?;
            is_instance_type(rest).then(|| r.key.replace('*', rest))
        })
    };
    exact.or_else(pattern)?.parse().ok()
}

/// `m5.large`, `m7g.4xlarge`, `t3.small`: a lower-case family, one dot, a size AWS names instances by.
fn is_instance_type(text: &str) -> bool {
    let Some((family, size)) = text.split_once('.') else { return false };
    let sizes = ["large", "medium", "small", "micro", "nano", "metal"];
    family.starts_with(|c: char| c.is_ascii_lowercase())
        && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && sizes.iter().any(|s| size.ends_with(s))
        && size.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn divisor(key: &PriceKey) -> Decimal {
    let text = key.to_string();
    RULES.iter().find(|r| r.key == text).map_or(Decimal::ONE, |r| Decimal::from(r.divide))
}

/// One `PriceList` document as the Price List Query API writes it (format `aws_v1`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    product: Product,
    service_code: String,
    #[serde(default)]
    terms: Terms,
    version: Option<String>,
    publication_date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Product {
    sku: String,
    #[serde(default)]
    attributes: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: std::collections::BTreeMap<String, Term>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Term {
    price_dimensions: std::collections::BTreeMap<String, Dimension>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dimension {
    unit: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    begin_range: Option<String>,
    price_per_unit: std::collections::BTreeMap<String, String>,
}

/// Why a `PriceList` document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a Price List product document: {0}")]
    Json(String),
    #[error("product {sku}: {what}")]
    Product { sku: String, what: String },
}

/// One product's first on-demand price, as its `PriceList` document states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub service: String,
    pub sku: String,
    pub usage_type: Option<String>,
    pub region: Option<String>,
    /// AWS's unit (`GB-Mo`, `Hrs`, `GiBps-mo`) and USD per it, of the first tier (S3's "first 50 TB").
    pub unit: String,
    pub usd: Decimal,
    pub description: String,
    /// The offer's version and publication date.
    pub version: Option<String>,
    pub published: Option<String>,
    attributes: std::collections::BTreeMap<String, String>,
}

/// Reads one `PriceList` document.
pub fn read(document: &str) -> Result<Record, ParseError> {
    let doc: Document = serde_json::from_str(document).map_err(|e| ParseError::Json(e.to_string()))?;
    let sku = doc.product.sku.clone();
    let problem = |what: &str| ParseError::Product { sku: sku.clone(), what: what.to_string() };
    let dimension = doc
        .terms
        .on_demand
        .values()
        .flat_map(|t| t.price_dimensions.values())
        .min_by_key(|d| d.begin_range.as_deref().and_then(|b| b.parse::<Decimal>().ok()).unwrap_or_default())
        .ok_or_else(|| problem("no on-demand price"))?;
    let usd = dimension
        .price_per_unit
        .get("USD")
        .ok_or_else(|| problem("no USD price"))?
        .parse()
        .map_err(|e| problem(&format!("USD price: {e}")))?;
    let attributes = doc.product.attributes;
    Ok(Record {
        service: doc.service_code,
        sku: doc.product.sku,
        usage_type: attributes.get("usagetype").cloned(),
        region: attributes.get("regionCode").cloned(),
        unit: dimension.unit.clone(),
        usd,
        description: dimension.description.clone(),
        version: doc.version,
        published: doc.publication_date,
        attributes,
    })
}

/// The book price one `PriceList` document gives for `region`, or None when it prices nothing the book keeps
/// (another usage type, another region, another operating system's licence).
pub fn parse(document: &str, region: &str) -> Result<Option<Price>, ParseError> {
    let record = read(document)?;
    if record.region.as_deref().is_some_and(|r| r != region) {
        return Ok(None);
    }
    // EC2 instances: Linux, shared tenancy, nothing pre-installed, the instance running (not a reservation's
    // unused capacity); other products have none of these attributes.
    let fits = |name: &str, want: &str| record.attributes.get(name).is_none_or(|v| v == want);
    if !(fits("operatingSystem", "Linux")
        && fits("tenancy", "Shared")
        && fits("preInstalledSw", "NA")
        && fits("capacitystatus", "Used")
        && fits("licenseModel", "No License required"))
    {
        return Ok(None);
    }
    let Some(usage) = record.usage_type.as_deref() else { return Ok(None) };
    let Some(key) = key_of(&record.service, usage) else { return Ok(None) };
    let offer = record.version.as_deref().map(|v| format!(" offer {v}")).unwrap_or_default();
    let published = record.published.clone().unwrap_or_default();
    let described =
        if record.description.is_empty() { String::new() } else { format!(", '{}'", record.description.trim()) };
    Ok(Some(Price {
        unit: key.unit().to_string(),
        usd: record.usd / divisor(&key),
        source: format!(
            "AWS Price List API, {}{offer} ({region}), SKU {}, {usage}: {} USD per {}{described}",
            record.service,
            record.sku,
            record.usd.normalize(),
            record.unit
        ),
        key,
        region: region.to_string(),
        as_of: published.get(..10).unwrap_or(&published).to_string(),
        basis: Basis::Refreshed,
    }))
}

/// The region the Price List Query API answers in (it also answers in eu-central-1 and ap-south-1); the prices it
/// returns are for whichever region the filter names.
pub const API_REGION: &str = "us-east-1";

/// Pages one GetProducts query may take (100 products each); a service's products for one region fit in far fewer.
const MAX_PAGES: usize = 200;

/// What a refresh of one region fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub prices: Vec<Price>,
    /// GetProducts requests made.
    pub requests: u64,
}

/// Fetches the book's prices of `region` from the Price List Query API: every service of [`SERVICES`], filtered to
/// the region, page by page. Two products giving one key keep the lower price (a product family AWS lists twice).
pub async fn fetch(settings: &super::AwsSettings, region: &str) -> Result<Fetched, FetchError> {
    let mut settings = settings.clone();
    settings.region = Some(API_REGION.to_string());
    let config = super::sdk_config(&settings).await?;
    let client = aws_sdk_pricing::Client::new(&config);
    let mut found: std::collections::BTreeMap<PriceKey, Price> = Default::default();
    let mut requests = 0;
    for (service, filters) in SERVICES {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut call = client.get_products().service_code(*service).format_version("aws_v1").max_results(100);
            for (field, value) in filters.iter().chain(&[("regionCode", region)]) {
                let filter = aws_sdk_pricing::types::Filter::builder()
                    .r#type(aws_sdk_pricing::types::FilterType::TermMatch)
                    .field(*field)
                    .value(*value)
                    .build()
                    .map_err(|e| FetchError::Request(e.to_string()))?;
                call = call.filters(filter);
            }
            requests += 1;
            let page = call.set_next_token(token.take()).send().await.map_err(|e| {
                super::AwsCallError::new("pricing:GetProducts", format!("GetProducts {service} ({region})"), &e)
            })?;
            for document in page.price_list() {
                if let Some(p) = parse(document, region)? {
                    let slot = found.entry(p.key.clone()).or_insert_with(|| p.clone());
                    if p.usd < slot.usd {
                        *slot = p;
                    }
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(String::from);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(Fetched { prices: found.into_values().collect(), requests })
}

/// Why a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Call(#[from] super::AwsCallError),
    #[error("building a GetProducts filter: {0}")]
    Request(String),
    #[error("an answer of the Price List API")]
    Parse(#[from] ParseError),
}

/// Fetches `region` and caches it under `cache_dir` (written to a temporary file, then renamed: a refresh that
/// fails leaves the previous cache whole). Returns what was cached and the requests it took.
pub fn refresh(
    settings: &super::AwsSettings,
    region: &str,
    cache_dir: &std::path::Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Refreshed, u64), RefreshError> {
    if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(RefreshError::Region(region.to_string()));
    }
    let runtime = super::runtime().map_err(|cause| RefreshError::Io { path: cache_dir.into(), cause })?;
    let fetched = runtime
        .block_on(fetch(settings, region))
        .map_err(|source| RefreshError::Fetch { region: region.to_string(), source })?;
    if fetched.prices.is_empty() {
        return Err(RefreshError::Empty { region: region.to_string(), requests: fetched.requests });
    }
    let refreshed = Refreshed {
        version: Refreshed::VERSION,
        region: region.to_string(),
        fetched: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        prices: fetched.prices,
    };
    let path = Refreshed::path(cache_dir, region);
    let io = |cause| RefreshError::Io { path: path.clone(), cause };
    std::fs::create_dir_all(path.parent().unwrap_or(cache_dir)).map_err(io)?;
    let partial = path.with_extension("json.partial");
    let text = serde_json::to_string_pretty(&refreshed).map_err(|e| io(std::io::Error::other(e)))?;
    std::fs::write(&partial, text).map_err(io)?;
    std::fs::rename(&partial, &path).map_err(io)?;
    Ok((refreshed, fetched.requests))
}

/// A region's cached refresh: None when there is none; an error naming the file when it cannot be read as one.
pub fn cached(cache_dir: &std::path::Path, region: &str) -> Result<Option<Refreshed>, RefreshError> {
    let path = Refreshed::path(cache_dir, region);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(RefreshError::Io { path, cause }),
    };
    let refreshed: Refreshed =
        serde_json::from_str(&text).map_err(|e| RefreshError::Corrupt { path: path.clone(), why: e.to_string() })?;
    if refreshed.version != Refreshed::VERSION || refreshed.region != region {
        let why = format!("version {} of region {}", refreshed.version, refreshed.region);
        return Err(RefreshError::Corrupt { path, why });
    }
    Ok(Some(refreshed))
}

/// Why a region's prices could not be refreshed or read back.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("refreshing the prices of {region} from the AWS Price List Query API")]
    Fetch {
        region: String,
        #[source]
        source: FetchError,
    },
    #[error(
        "the AWS Price List Query API gave no price the book keeps for {region} ({requests} request(s)); is it a region?"
    )]
    Empty { region: String, requests: u64 },
    #[error("`{0}` is not a region code (expected e.g. us-east-1)")]
    Region(String),
    #[error("{}: {cause}", path.display())]
    Io { path: std::path::PathBuf, cause: std::io::Error },
    #[error("{}: not a price cache this version writes ({why}); run `kafka-finops prices refresh` again", path.display())]
    Corrupt { path: std::path::PathBuf, why: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn usage_types_map_to_book_keys_with_or_without_the_region_prefix() {
        let key = |s: &str, u: &str| key_of(s, u).map(|k| k.to_string());
        assert_eq!(key("AmazonMSK", "USE1-Kafka.m5.large").as_deref(), Some("msk.broker.kafka.m5.large"));
        assert_eq!(key("AmazonMSK", "EUC1-Express.m7g.large").as_deref(), Some("msk.broker.express.m7g.large"));
        assert_eq!(key("AmazonMSK", "EU-Kafka.Storage.GP2").as_deref(), Some("msk.storage"));
        assert_eq!(key("AmazonMSK", "USW2-Express.In-Bytes").as_deref(), Some("msk.express.data_in"));
        assert_eq!(key("AmazonMSK", "USE1-Kafka.mcu.general"), None, "MSK Connect is not a broker");
        assert_eq!(key("AmazonEC2", "BoxUsage:m5.large").as_deref(), Some("ec2.instance.m5.large"));
        assert_eq!(key("AmazonEC2", "EU-BoxUsage:m7g.4xlarge").as_deref(), Some("ec2.instance.m7g.4xlarge"));
        assert_eq!(key("AmazonEC2", "USW2-EBS:VolumeUsage.gp3").as_deref(), Some("ebs.gp3.storage"));
        assert_eq!(key("AmazonEC2", "CAN1-EBS:VolumeUsage.piops"), None);
        assert_eq!(key("AmazonS3", "EU-TimedStorage-ByteHrs").as_deref(), Some("s3.standard.storage"));
        assert_eq!(key("AWSDataTransfer", "DataTransfer-Regional-Bytes").as_deref(), Some("transfer.inter_az"));
        assert_eq!(key("AmazonS3", "BoxUsage:m5.large"), None, "rules are per service");
    }

    /// The `PriceList` documents of a GetProducts answer in `fixtures/pricing/`.
    fn documents(file: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pricing").join(file);
        let answer: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(answer["FormatVersion"], "aws_v1");
        answer["PriceList"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn awss_documented_example_is_read_and_maps_to_no_book_key() {
        // Published (AWS's GetProducts example): SKU WQGC34PB2AWS8R4U, CAN1-EBS:VolumeUsage.piops, $0.138 per GB-Mo,
        // offer 20170901182201 published 2017-09-01T18:22:01Z.
        let docs = documents("get_products_documented_example.json");
        let record = read(&docs[0]).unwrap();
        assert_eq!(record.sku, "WQGC34PB2AWS8R4U");
        assert_eq!(record.usage_type.as_deref(), Some("CAN1-EBS:VolumeUsage.piops"));
        assert_eq!((record.unit.as_str(), record.usd), ("GB-Mo", dec!(0.138)));
        assert_eq!(record.published.as_deref(), Some("2017-09-01T18:22:01Z"));
        assert_eq!(parse(&docs[0], "ca-central-1").unwrap(), None, "io1 is no price the book keeps");
    }

    #[test]
    fn msk_products_become_book_prices_with_sku_offer_and_date_and_the_rest_is_skipped() {
        let prices: Vec<Price> =
            documents("get_products_msk.json").iter().filter_map(|d| parse(d, "us-east-1").unwrap()).collect();
        let got: Vec<(String, Decimal)> = prices.iter().map(|p| (p.key.to_string(), p.usd)).collect();
        // Published (AWS's MSK prices, us-east-1, 2025-04-04): the same figures the bundled book holds.
        assert_eq!(
            got,
            [
                ("msk.broker.kafka.m5.large".to_string(), dec!(0.21)),
                ("msk.storage".to_string(), dec!(0.10)),
                ("msk.broker.express.m7g.large".to_string(), dec!(0.408)),
                ("msk.express.data_in".to_string(), dec!(0.01)),
                ("msk.tiered.storage".to_string(), dec!(0.06)),
                ("msk.tiered.retrieval".to_string(), dec!(0.0015)),
            ]
        );
        let broker = &prices[0];
        assert_eq!(broker.basis, Basis::Refreshed);
        assert_eq!((broker.unit.as_str(), broker.as_of.as_str()), ("broker-hour", "2025-04-04"));
        assert!(broker.source.contains("SKU CBMW8TY4JC6XHKHM, USE1-Kafka.m5.large"), "{}", broker.source);
        assert!(broker.source.starts_with("AWS Price List API, AmazonMSK offer 20250404190532"), "{}", broker.source);
    }

    #[test]
    fn ebs_throughput_is_per_mibps_s3_takes_its_first_tier_and_licensed_instances_are_skipped() {
        let docs = documents("get_products_ec2_s3.json");
        let frankfurt: Vec<Price> = docs.iter().filter_map(|d| parse(d, "eu-central-1").unwrap()).collect();
        let pairs: Vec<(String, Decimal)> = frankfurt.iter().map(|p| (p.key.to_string(), p.usd)).collect();
        // Derived: 48.7424 USD per GiBps-month ÷ 1,024 = 0.0476 USD per MiBps-month.
        assert_eq!(
            pairs,
            [("ebs.gp3.storage".to_string(), dec!(0.0952)), ("ebs.gp3.throughput".to_string(), dec!(0.0476))]
        );
        let ireland: Vec<Price> = docs.iter().filter_map(|d| parse(d, "eu-west-1").unwrap()).collect();
        assert_eq!(ireland.len(), 1, "the SQL Server instance is not the Linux one: {ireland:?}");
        assert_eq!(
            (ireland[0].key.to_string(), ireland[0].usd),
            ("ec2.instance.m7g.4xlarge".to_string(), dec!(0.7276))
        );
        let virginia: Vec<Price> = docs.iter().filter_map(|d| parse(d, "us-east-1").unwrap()).collect();
        // Published: "$0.023 per GB - first 50 TB / month of storage used"; the 50-500 TB tier is $0.022.
        assert_eq!((virginia[0].key.to_string(), virginia[0].usd), ("s3.standard.storage".to_string(), dec!(0.023)));
    }

    #[test]
    fn a_document_that_is_no_product_is_refused_naming_what_is_wrong() {
        assert!(matches!(read("{}"), Err(ParseError::Json(_))));
        let no_terms = r#"{"product":{"sku":"ABC","attributes":{"usagetype":"USE1-Kafka.Storage.GP2"}},"serviceCode":"AmazonMSK"}"#;
        assert_eq!(read(no_terms).unwrap_err().to_string(), "product ABC: no on-demand price");
    }

    #[test]
    fn the_bundled_books_msk_usage_types_map_to_the_keys_they_are_filed_under() {
        // The bundled book's MSK entries (written by ci/prices/unit_maps.py) and a refresh (this module's RULES) map
        // AWS's usage types to keys in two places: each cited usage type must read back as its entry's key.
        let book = crate::prices::PriceBook::defaults();
        let mut checked = 0;
        for p in book.prices.iter().filter(|p| p.source.contains("metered-unit map for Amazon MSK")) {
            let usage = p.source.split("usage type ").nth(1).and_then(|rest| rest.split(',').next()).unwrap();
            assert_eq!(key_of("AmazonMSK", usage).as_ref(), Some(&p.key), "{usage} ({})", p.region);
            checked += 1;
        }
        assert_eq!(checked, 136, "every generated MSK entry: 34 keys in each of four regions");
    }
}
