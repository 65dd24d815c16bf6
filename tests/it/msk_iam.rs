//! MSK IAM authentication's token against AWS's own signer library (aws-msk-iam-sasl-signer-python, pinned in
//! ci/requirements.txt): for the same credentials, region and time, the same URL, signature included.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;

/// AWS's documentation example keys, with a session token so X-Amz-Security-Token is signed too.
const KEY: (&str, &str, &str) =
    ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FQoGZXIvYXdzEXAMPLE//token=");
/// 2025-11-30T00:00:00Z, the signing time of every token here.
const EPOCH: u64 = 1_764_460_800;

/// The token AWS's Python signer makes with [`KEY`] for `region` at [`EPOCH`], or None when the test venv's python
/// is not there.
fn python_token(region: &str) -> Option<String> {
    let Ok(python) = std::env::var("KAFKA_FINOPS_PYTHON") else {
        crate::support::service_missing("KAFKA_FINOPS_REQUIRE_AWS", "the test venv's python (the MSK IAM signer)");
        return None;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/msk_iam/reference.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .args([region, KEY.0, KEY.1, KEY.2, &EPOCH.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Our token for the same inputs.
fn our_token(region: &str) -> String {
    let credentials = aws_credential_types::Credentials::new(KEY.0, KEY.1, Some(KEY.2.to_string()), None, "test");
    kafka_finops::collect::kafka::msk_iam::token(region, &credentials, UNIX_EPOCH + Duration::from_secs(EPOCH)).unwrap()
}

/// The URL a token carries, and its query as name → value (decoded).
fn decode(token: &str) -> (String, BTreeMap<String, String>) {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()).expect("base64url, no padding");
    let url = String::from_utf8(bytes).unwrap();
    let (base, query) = url.split_once('?').expect("a query");
    let pairs = form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    (base.to_string(), pairs)
}

#[test]
fn the_token_is_the_signer_librarys_for_the_same_inputs() {
    let region = "eu-west-1";
    let Some(theirs) = python_token(region) else { return };
    let ours = our_token(region);

    let (our_base, mut our_query) = decode(&ours);
    let (their_base, mut their_query) = decode(&theirs);
    assert_eq!(our_base, "https://kafka.eu-west-1.amazonaws.com/");
    assert_eq!(our_base, their_base);
    // Each names itself after signing, outside the signature.
    assert!(our_query.remove("User-Agent").unwrap().starts_with("kafka-finops/"));
    assert!(their_query.remove("User-Agent").unwrap().starts_with("aws-msk-iam-sasl-signer-python/"));
    assert_eq!(our_query.get("Action").map(String::as_str), Some("kafka-cluster:Connect"));
    assert_eq!(our_query.get("X-Amz-Expires").map(String::as_str), Some("900"));
    assert_eq!(our_query.get("X-Amz-Date").map(String::as_str), Some("20251130T000000Z"));
    assert_eq!(our_query, their_query, "ours: {ours}\ntheirs: {theirs}");
}

/// Runs the IAM listener's validator (ci/kafka/MskIamValidator.java) on `token` as if at `now`: "valid", or why not.
fn java_validator(token: &str, key: (&str, &str, &str), region: &str, now: u64) -> Option<String> {
    let (Ok(classes), Ok(libs)) =
        (std::env::var("KAFKA_FINOPS_IAM_HANDLER"), std::env::var("KAFKA_FINOPS_KAFKA_CLASSPATH"))
    else {
        crate::support::service_missing(
            "KAFKA_FINOPS_REQUIRE_KAFKA",
            "Kafka test cluster (the IAM listener's validator)",
        );
        return None;
    };
    use std::io::Write;
    let mut child = std::process::Command::new("java")
        .args(["-cp", &format!("{libs}:{classes}"), "kafkafinops.ci.MskIamValidator", region, key.0, key.1, key.2])
        .arg(now.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// The broker-side check the end-to-end tests rely on (tests/it/kafka.rs) is itself checked against AWS's signer:
/// it accepts the Python library's token while it is valid, and refuses it once expired, with another secret,
/// or for another region. It also accepts ours for the same inputs.
#[test]
fn the_test_brokers_validator_accepts_aws_signers_tokens_and_refuses_expired_or_foreign_ones() {
    let Some(theirs) = python_token("us-east-1") else { return };
    let (access, secret, session) = KEY;
    let (key, epoch) = (KEY, EPOCH);

    let Some(verdict) = java_validator(&theirs, key, "us-east-1", epoch + 60) else { return };
    assert_eq!(verdict, "valid");
    // Valid for 900 s (X-Amz-Expires): refused at the second it ends.
    let expired = java_validator(&theirs, key, "us-east-1", epoch + 900).unwrap();
    assert!(expired.starts_with("refused: expired"), "{expired}");
    let other_secret = java_validator(&theirs, (access, "another-secret", session), "us-east-1", epoch + 60).unwrap();
    assert!(other_secret.contains("signature does not match"), "{other_secret}");
    let other_region = java_validator(&theirs, key, "eu-west-1", epoch + 60).unwrap();
    assert!(other_region.starts_with("refused"), "{other_region}");
    let other_session = java_validator(&theirs, (access, secret, "another-token"), "us-east-1", epoch + 60).unwrap();
    assert!(other_session.contains("X-Amz-Security-Token"), "{other_session}");

    assert_eq!(java_validator(&our_token("us-east-1"), key, "us-east-1", epoch + 60).unwrap(), "valid");
}
