//! The report in a real browser: Debian's headless Chromium (driven by ci/browser/check.mjs) loads index.html with
//! no console error and no network request, a sortable table sorts when its header is clicked, and at 1280 and
//! 1920 px nothing overflows the page, every table row has its header's cells and the next actions come early.
//! The screenshot is kept as a test artifact in target/test-artifacts/report.png.

use std::path::Path;
use std::process::Command;

use crate::support::*;

#[test]
fn the_report_loads_in_headless_chromium_without_errors_or_requests_and_its_tables_sort() {
    let Ok(check) = std::env::var("KAFKA_FINOPS_BROWSER_CHECK") else {
        return service_missing("KAFKA_FINOPS_REQUIRE_BROWSER", "browser check (bash ci/browser.sh install)");
    };
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let html = work.path().join(out.run_dir()).join("index.html");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&screenshot);

    let result = Command::new("node").arg(&check).arg(&html).arg(&screenshot).output().expect("node runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    let report: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("check.mjs printed no JSON ({e}): {stdout}\n{stderr}"));
    assert_eq!(report["console_errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["requests"], serde_json::json!([]), "a self-contained report loads nothing: {report}");
    assert_eq!(report["sort"]["ok"], true, "{report}");
    for width in ["1280", "1920"] {
        let layout = &report["layout"][width];
        assert_eq!(layout["overflow_px"], 0, "at {width} px nothing overflows the page: {layout}");
        assert_eq!(layout["ragged_rows"], 0, "at {width} px every row has its header's cells: {layout}");
        // The next actions and the achievable total come before the packs: within the first few screens.
        let top = layout["actions_top_px"].as_u64().expect("a next-actions section");
        assert!(top < 3 * 900, "at {width} px the next actions start {top} px down: {layout}");
    }
    assert!(report["sort"]["rows"].as_u64().unwrap() > 1, "{report}");
    assert_eq!(result.status.code(), Some(0), "{stdout}\n{stderr}");
    let png = std::fs::read(&screenshot).expect("a screenshot was saved");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG");
    eprintln!("report loaded in {} ms; screenshot: {}", report["load_ms"], screenshot.display());
}

/// A report whose `unowned` has no topics (a catch-all rule owns them) still gives every row its header's cells.
#[test]
fn an_owner_with_nothing_to_score_keeps_every_row_whole() {
    let Ok(check) = std::env::var("KAFKA_FINOPS_BROWSER_CHECK") else {
        return service_missing("KAFKA_FINOPS_REQUIRE_BROWSER", "browser check (bash ci/browser.sh install)");
    };
    let fixture = demo_copy();
    let catalog = fixture.path().join("catalog.toml");
    let mut text = std::fs::read_to_string(&catalog).unwrap();
    for topic in ["legacy-export-2023", "legacy-export-orders", "tmp.backfill-2025", "test-loadgen"] {
        text.push_str(&format!("\n[[rules]]\nkind = \"topic\"\nexact = \"{topic}\"\nowner = \"platform\"\n"));
    }
    std::fs::write(&catalog, text).unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert!(out.code == 0 || out.code == 1, "stderr: {}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    assert_eq!(model.owners.iter().find(|o| o.owner == "unowned").unwrap().topics, 0);
    let html = work.path().join(out.run_dir()).join("index.html");
    let shot = tempfile::NamedTempFile::new().unwrap();
    let result = Command::new("node").arg(&check).arg(&html).arg(shot.path()).output().expect("node runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    for width in ["1280", "1920"] {
        assert_eq!(report["layout"][width]["ragged_rows"], 0, "{report}");
    }
}
