//! The price book at run time: `[prices] refresh = true` takes a region's refreshed list prices from the cache that
//! `kafka-finops prices refresh` writes, and a region it cannot refresh is flagged, never silently left on the
//! bundled book. (The Price List Query API itself has no emulator here: its answers' parser is tested on AWS's
//! documented GetProducts example and captures in its format, `src/collect/aws/price_list.rs`.)

use std::path::Path;
use std::process::Command;

use kafka_finops::report_model::PriceBasis;

use crate::support::*;

/// The demo without its bill (so list prices stay list prices) and with `[prices] refresh = true`.
fn demo_refreshing() -> tempfile::TempDir {
    let fixture = demo_copy();
    let lines = fixture.path().join("cost_lines.csv");
    let header = std::fs::read_to_string(&lines).unwrap().lines().next().unwrap().to_string();
    std::fs::write(&lines, header + "\n").unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("[prices]\n", "[prices]\nrefresh = true\n");
    std::fs::write(&config, text).unwrap();
    fixture
}

/// Runs the demo copy with the tool's cache at `cache` and AWS pointed at a port nothing listens on.
fn run_with_cache(fixture: &Path, cache: &Path, work: &Path) -> Output {
    let config = fixture.join("kafka-finops.toml");
    Command::new(BIN)
        .args(["run", "--config", config.to_str().unwrap(), "--out", "runs"])
        .current_dir(work)
        .env("XDG_CACHE_HOME", cache)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
        .into()
}

fn cache_file(cache: &Path, fetched: &str, msk_storage_usd: &str) {
    let dir = cache.join("kafka-finops/prices");
    std::fs::create_dir_all(&dir).unwrap();
    let refreshed = serde_json::json!({
        "version": 1,
        "region": "us-east-1",
        "fetched": fetched,
        "prices": [{
            "key": "msk.storage",
            "region": "us-east-1",
            "unit": "GiB-month",
            "usd": msk_storage_usd,
            "source": "AWS Price List API, AmazonMSK offer 20261201000000 (us-east-1), SKU 65XV7TSGW9ZJSRYZ, USE1-Kafka.Storage.GP2",
            "as_of": "2026-12-01",
            "basis": "refreshed"
        }]
    });
    std::fs::write(dir.join("us-east-1.json"), serde_json::to_string_pretty(&refreshed).unwrap()).unwrap();
}

fn price(dir: &Path, key: &str) -> kafka_finops::report_model::Price {
    let model = read_model(dir);
    model.clusters[0].prices.iter().find(|p| p.key == key).unwrap().clone()
}

#[test]
fn a_fresh_refresh_in_the_cache_replaces_the_bundled_price_and_says_refreshed() {
    let fixture = demo_refreshing();
    let (cache, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    cache_file(cache.path(), &now, "0.125");
    let out = run_with_cache(fixture.path(), cache.path(), work.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let storage = price(&dir, "msk.storage");
    assert_eq!((storage.usd.to_string().as_str(), storage.basis), ("0.125", PriceBasis::Refreshed));
    assert!(storage.source.contains("SKU 65XV7TSGW9ZJSRYZ"), "{storage:?}");
    // What the refresh did not give stays on the bundled book.
    assert_eq!(price(&dir, "msk.broker.kafka.m5.2xlarge").basis, PriceBasis::List);
    let (h, rows) = read_csv(&dir.join("prices.csv"));
    let basis = h.iter().position(|c| c == "basis").unwrap();
    assert!(rows.iter().any(|r| r.contains(&"msk.storage".to_string()) && r[basis] == "refreshed"), "{rows:?}");
}

#[test]
fn a_region_that_cannot_be_refreshed_is_flagged_and_a_stale_refresh_beats_the_bundled_book() {
    let fixture = demo_refreshing();
    let (cache, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Nothing cached and AWS out of reach: the bundled book, flagged (exit 1).
    let out = run_with_cache(fixture.path(), cache.path(), work.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("us-east-1 keeps the bundled price book: refreshing the prices of us-east-1"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("[prices-refreshed]"), "{}", out.stderr);
    assert_eq!(price(&work.path().join(out.run_dir()), "msk.storage").basis, PriceBasis::List);
    // A refresh older than a week is fetched again; that failing, the old refresh is used and said so.
    cache_file(cache.path(), "2026-01-01T00:00:00Z", "0.111");
    let out = run_with_cache(fixture.path(), cache.path(), work.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("us-east-1 uses the prices refreshed 2026-01-01T00:00:00Z"), "{}", out.stderr);
    let storage = price(&work.path().join(out.run_dir()), "msk.storage");
    assert_eq!((storage.usd.to_string().as_str(), storage.basis), ("0.111", PriceBasis::Refreshed));
    // A cache that is not one is named, never read as no prices.
    std::fs::write(cache.path().join("kafka-finops/prices/us-east-1.json"), "{ not json").unwrap();
    let out = run_with_cache(fixture.path(), cache.path(), work.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("us-east-1.json: not a price cache this version writes"), "{}", out.stderr);
}

#[test]
fn refresh_takes_true_or_false_and_a_price_takes_a_number_each_named_at_its_line() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[prices]\n", "[prices]\nrefresh = \"yes\"\n\"msk.storage\" = true\n");
    std::fs::write(&config, text).unwrap();
    validate_fails_with(
        &config,
        &["prices.refresh", "expected `refresh = true` or `false`", "prices.msk.storage", "found true/false"],
    );
}

#[test]
fn prices_refresh_without_a_region_says_what_it_needs() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["prices", "refresh"], work.path());
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("give --region REGION"), "{}", out.stderr);
    let out = run(&["prices", "refresh", "--region", "US East"], work.path());
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("`US East` is not a region code"), "{}", out.stderr);
}
