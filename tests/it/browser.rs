//! The report in a real browser: Debian's headless Chromium (driven by ci/browser/check.mjs) loads index.html with
//! no console error and no network request, and a sortable table sorts when its header is clicked. The screenshot
//! is kept as a test artifact in target/test-artifacts/report.png.

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
    assert!(report["sort"]["rows"].as_u64().unwrap() > 1, "{report}");
    assert_eq!(result.status.code(), Some(0), "{stdout}\n{stderr}");
    let png = std::fs::read(&screenshot).expect("a screenshot was saved");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG");
    eprintln!("report loaded in {} ms; screenshot: {}", report["load_ms"], screenshot.display());
}
