//! Connection settings for a Kafka source, written with the librdkafka property names users already know.
//!
//! Supported: `bootstrap.servers`, `security.protocol` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL),
//! `sasl.mechanism` (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, and OAUTHBEARER with `aws_msk_iam = true`),
//! `sasl.username`, `ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location`. The password never sits in
//! the config: it comes from the environment variable or file the config names, and is kept in a [`Secret`] that
//! prints as `***`. With `aws_msk_iam = true` there is no password: Amazon MSK's IAM authentication signs a token
//! with the AWS credentials of the default chain (or `profile`, then `role_arn` assumed with them).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::collect::SourceContext;
use crate::collect::aws::AwsSettings;
use crate::collect::aws::settings::{AwsKeys, aws_settings};
use crate::problem::SettingProblem;

const DEFAULT_TIMEOUT_SECONDS: i64 = 30;
/// How long between the two readings of every log-end offset that give each topic's write rate within one run.
const DEFAULT_RATE_SAMPLE_SECONDS: i64 = 60;

/// A `kafka` source as written in the config (besides `name` and `kind`).
#[derive(Debug, Deserialize)]
pub struct KafkaSourceFile {
    /// The `[[clusters]]` name the data belongs to.
    cluster: Option<Spanned<String>>,
    /// librdkafka-named connection properties.
    properties: Option<Spanned<BTreeMap<String, String>>>,
    /// The environment variable or file holding the SASL password.
    password_env: Option<String>,
    password_file: Option<String>,
    /// How long to wait for any one connection or answer (default 30 s, at most 600).
    timeout_seconds: Option<Spanned<i64>>,
    /// Seconds between the two readings of the log-end offsets that give each topic's write rate within the run
    /// (default 60, at most 3,600; 0 reads them once: rates then come only from metrics or an earlier run).
    rate_sample_seconds: Option<Spanned<i64>>,
    /// Amazon MSK's IAM authentication (SASL/OAUTHBEARER with a SigV4-signed token for the cluster's region).
    aws_msk_iam: Option<Spanned<bool>>,
    /// With `aws_msk_iam`: a named AWS profile, and a role to assume with the default chain's credentials.
    profile: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    role_session_name: Option<Spanned<String>>,
}

/// A checked `kafka` source: the cluster its rows are recorded under, how to connect, how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSourceSettings {
    pub cluster: String,
    pub connection: ConnectionSettings,
    pub timeout: Duration,
    /// The time between the two log-end readings; zero reads them once.
    pub rate_sample: Duration,
}

impl KafkaSourceFile {
    /// Checks the source, reporting every problem; `here` is where the table starts, for problems of a key that is
    /// missing. The password is read now, so a missing one stops the run before anything is collected.
    pub fn check(
        self,
        ctx: &SourceContext<'_>,
        here: Range<usize>,
    ) -> Result<KafkaSourceSettings, Vec<SettingProblem>> {
        let mut problems = Vec::new();
        let cluster = ctx.cluster(self.cluster.as_ref(), "kafka", here.clone()).map_err(|p| problems.push(p)).ok();
        let msk_iam = self.msk_iam(cluster.map(|c| c.region.clone()), &mut problems);
        let password = match (&self.password_env, &self.password_file) {
            (Some(_), _) | (_, Some(_)) if msk_iam.is_some() => {
                let message = "not used with MSK IAM authentication: the AWS credentials are the identity";
                let key = if self.password_env.is_some() { "password_env" } else { "password_file" };
                problems.push(SettingProblem::new(key, here.clone(), message));
                None
            }
            (Some(_), Some(_)) => {
                problems.push(SettingProblem::new(
                    "password_env",
                    here.clone(),
                    "set `password_env` or `password_file`, not both",
                ));
                None
            }
            (Some(var), None) => Some(PasswordFrom::Env(var.clone())),
            (None, Some(file)) => Some(PasswordFrom::File(ctx.files.join(file))),
            (None, None) => None,
        };
        let secret = match password.as_ref().map(resolve_password) {
            Some(Ok(secret)) => Some(secret),
            Some(Err(e)) => {
                problems.push(SettingProblem::new("password_env", here.clone(), e.to_string()));
                None
            }
            None => None,
        };
        let (properties, props_at) = match &self.properties {
            Some(p) => (p.get_ref().clone(), p.span()),
            None => (BTreeMap::new(), here.clone()),
        };
        let connection = match from_properties(&properties, secret, msk_iam) {
            Ok(c) => Some(c),
            Err(list) => {
                // A named but unreadable password was reported above; do not report it twice.
                let named = password.is_some();
                for (key, message) in list.into_iter().filter(|(k, _)| !(named && k == "password_env")) {
                    let key = if key.starts_with("password") { key } else { format!("properties.\"{key}\"") };
                    problems.push(SettingProblem::new(key, props_at.clone(), message));
                }
                None
            }
        };
        let timeout =
            seconds(("timeout_seconds", &self.timeout_seconds), 1..=600, DEFAULT_TIMEOUT_SECONDS, &mut problems);
        let rate_sample = seconds(
            ("rate_sample_seconds", &self.rate_sample_seconds),
            0..=3600,
            DEFAULT_RATE_SAMPLE_SECONDS,
            &mut problems,
        );
        match (cluster, connection, timeout, rate_sample) {
            (Some(cluster), Some(connection), Some(timeout), Some(rate_sample)) if problems.is_empty() => {
                Ok(KafkaSourceSettings {
                    cluster: cluster.name.clone(),
                    connection,
                    timeout: Duration::from_secs(timeout as u64),
                    rate_sample: Duration::from_secs(rate_sample as u64),
                })
            }
            _ => Err(problems),
        }
    }
}

/// A number of seconds within `range`, or `default` when unset; out of range is a problem naming the key.
fn seconds(
    (key, value): (&str, &Option<Spanned<i64>>),
    range: std::ops::RangeInclusive<i64>,
    default: i64,
    problems: &mut Vec<SettingProblem>,
) -> Option<i64> {
    match value {
        Some(t) if !range.contains(t.get_ref()) => {
            let (low, high) = (range.start(), range.end());
            let off = if *low == 0 { " (0 turns it off)" } else { "" };
            let message = format!("expected {low} to {high} seconds{off}, found {}", t.get_ref());
            problems.push(SettingProblem::new(key, t.span(), message));
            None
        }
        Some(t) => Some(*t.get_ref()),
        None => Some(default),
    }
}

impl KafkaSourceFile {
    /// The AWS side of MSK IAM authentication when `aws_msk_iam = true`: the cluster's region, the profile and the
    /// role. Without it, the AWS keys have nothing to do and are refused rather than ignored.
    fn msk_iam(&self, region: Option<String>, problems: &mut Vec<SettingProblem>) -> Option<AwsSettings> {
        let plain = |key: &Option<Spanned<String>>| key.as_ref().map(|k| k.get_ref().clone());
        if self.aws_msk_iam.as_ref().is_some_and(|on| *on.get_ref()) {
            let keys = AwsKeys {
                region: &region,
                endpoint_url: &None,
                profile: &plain(&self.profile),
                role_arn: &self.role_arn,
                external_id: &plain(&self.external_id),
                role_session_name: &plain(&self.role_session_name),
            };
            // Settings that failed their check were reported; the connection's own checks still run, and the
            // source fails on the problems already found.
            return Some(aws_settings(keys, problems).unwrap_or_default());
        }
        let set = [
            ("profile", &self.profile),
            ("role_arn", &self.role_arn),
            ("external_id", &self.external_id),
            ("role_session_name", &self.role_session_name),
        ];
        for (key, value) in set.iter().filter_map(|(key, value)| value.as_ref().map(|v| (key, v))) {
            let message = "AWS credentials are used only by MSK IAM authentication: set `aws_msk_iam = true`";
            problems.push(SettingProblem::new(*key, value.span(), message));
        }
        None
    }
}

/// A value that must never reach logs, errors or reports.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// How a SASL connection authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslSettings {
    /// PLAIN or SCRAM, with a user and a password.
    Password { mechanism: SaslMechanism, username: String, password: Secret },
    /// OAUTHBEARER carrying Amazon MSK's IAM token, signed with these AWS credentials for `region` (the cluster's).
    AwsMskIam(AwsSettings),
}

impl SaslSettings {
    /// The SASL mechanism's name, as the broker knows it.
    pub fn mechanism(&self) -> &'static str {
        match self {
            SaslSettings::Password { mechanism, .. } => mechanism.as_str(),
            SaslSettings::AwsMskIam(_) => OAUTHBEARER,
        }
    }
}

pub const OAUTHBEARER: &str = "OAUTHBEARER";

/// Everything needed to open an authenticated connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub bootstrap_servers: Vec<String>,
    pub tls: bool,
    pub ssl_ca_location: Option<String>,
    pub ssl_certificate_location: Option<String>,
    pub ssl_key_location: Option<String>,
    pub sasl: Option<SaslSettings>,
}

/// The property names this source understands; anything else is refused so a typo is not silently ignored.
pub const KNOWN_PROPERTIES: &[&str] = &[
    "bootstrap.servers",
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
];

/// Where the SASL password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordFrom {
    Env(String),
    File(String),
}

/// Builds settings from properties. `password` is resolved by the caller (config layer) from env or file;
/// `msk_iam` is set when the source asks for MSK IAM authentication. Returns every problem as (property, message).
pub fn from_properties(
    properties: &BTreeMap<String, String>,
    password: Option<Secret>,
    msk_iam: Option<AwsSettings>,
) -> Result<ConnectionSettings, Vec<(String, String)>> {
    let mut problems = Vec::new();
    for key in properties.keys() {
        if key == "sasl.password" || key == "ssl.key.password" {
            problems.push((
                key.clone(),
                "passwords never go in the config file; set `password_env` or `password_file` on the source".into(),
            ));
        } else if !KNOWN_PROPERTIES.contains(&key.as_str()) {
            problems.push((key.clone(), format!("unknown property; expected one of: {}", KNOWN_PROPERTIES.join(", "))));
        }
    }
    let get = |k: &str| properties.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let bootstrap_servers: Vec<String> = get("bootstrap.servers")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if bootstrap_servers.is_empty() {
        problems.push(("bootstrap.servers".into(), "expected `host:port[,host:port...]`".into()));
    }
    for server in &bootstrap_servers {
        if !server.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) {
            problems.push(("bootstrap.servers".into(), format!("`{server}` is not `host:port`")));
        }
    }
    let protocol = get("security.protocol").unwrap_or_else(|| "PLAINTEXT".into()).to_uppercase();
    let (tls, sasl_on) = match protocol.as_str() {
        "PLAINTEXT" => (false, false),
        "SSL" => (true, false),
        "SASL_PLAINTEXT" => (false, true),
        "SASL_SSL" => (true, true),
        other => {
            problems.push((
                "security.protocol".into(),
                format!("unknown `{other}`; expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
            ));
            (false, false)
        }
    };
    let sasl = match (sasl_on, msk_iam) {
        (true, None) => sasl_settings(&get, password, &mut problems),
        (true, Some(aws)) => msk_iam_settings(&get, password.as_ref(), aws, &mut problems),
        (false, Some(_)) => {
            let message = format!(
                "`aws_msk_iam = true` authenticates over SASL: expected SASL_SSL (MSK's IAM port, 9098 in the \
                 VPC) or SASL_PLAINTEXT, found {protocol}"
            );
            problems.push(("security.protocol".into(), message));
            None
        }
        (false, None) => None,
    };
    let cert = get("ssl.certificate.location");
    let key = get("ssl.key.location");
    if cert.is_some() != key.is_some() {
        problems.push((
            "ssl.key.location".into(),
            "a client certificate needs both ssl.certificate.location and ssl.key.location".into(),
        ));
    }
    if problems.is_empty() {
        Ok(ConnectionSettings {
            bootstrap_servers,
            tls,
            ssl_ca_location: get("ssl.ca.location"),
            ssl_certificate_location: cert,
            ssl_key_location: key,
            sasl,
        })
    } else {
        Err(problems)
    }
}

/// SASL's mechanism, user and password, each named when missing.
fn sasl_settings(
    get: &impl Fn(&str) -> Option<String>,
    password: Option<Secret>,
    problems: &mut Vec<(String, String)>,
) -> Option<SaslSettings> {
    let mechanism = match get("sasl.mechanism").or_else(|| get("sasl.mechanisms")).as_deref() {
        Some("PLAIN") => Some(SaslMechanism::Plain),
        Some("SCRAM-SHA-256") => Some(SaslMechanism::ScramSha256),
        Some("SCRAM-SHA-512") => Some(SaslMechanism::ScramSha512),
        Some(OAUTHBEARER) => {
            problems.push((
                "sasl.mechanism".into(),
                "OAUTHBEARER is supported as Amazon MSK's IAM authentication: set `aws_msk_iam = true` on the source"
                    .into(),
            ));
            // Without a user or password, as MSK IAM is meant: nothing more to say about them.
            return None;
        }
        other => {
            problems.push((
                "sasl.mechanism".into(),
                format!("found {other:?}; expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
            ));
            None
        }
    };
    let username = get("sasl.username");
    if username.is_none() {
        problems.push(("sasl.username".into(), "required with SASL".into()));
    }
    if password.is_none() {
        problems.push(("password_env".into(), "SASL needs a password: set `password_env` or `password_file`".into()));
    }
    match (mechanism, username, password) {
        (Some(mechanism), Some(username), Some(password)) => {
            Some(SaslSettings::Password { mechanism, username, password })
        }
        _ => None,
    }
}

/// MSK IAM: OAUTHBEARER, and no user or password (the AWS credentials are the identity).
fn msk_iam_settings(
    get: &impl Fn(&str) -> Option<String>,
    password: Option<&Secret>,
    aws: AwsSettings,
    problems: &mut Vec<(String, String)>,
) -> Option<SaslSettings> {
    let before = problems.len();
    let mechanism = get("sasl.mechanism").or_else(|| get("sasl.mechanisms"));
    if mechanism.as_deref() != Some(OAUTHBEARER) {
        let found = mechanism.map_or("none".into(), |m| format!("`{m}`"));
        let message = format!("`aws_msk_iam = true` authenticates with OAUTHBEARER; found {found}");
        problems.push(("sasl.mechanism".into(), message));
    }
    if get("sasl.username").is_some() {
        problems.push(("sasl.username".into(), "not used with MSK IAM: the AWS credentials are the identity".into()));
    }
    if password.is_some() {
        problems.push(("password_env".into(), "not used with MSK IAM: the AWS credentials are the identity".into()));
    }
    (problems.len() == before).then_some(SaslSettings::AwsMskIam(aws))
}

/// A password the source names but that cannot be read. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("environment variable `{var}` (named by password_env) is not set")]
    Unset { var: String },
    #[error("password_file `{path}`: {cause}")]
    Unreadable { path: String, cause: std::io::Error },
}

/// Reads the password named by the source, without ever echoing it.
pub fn resolve_password(from: &PasswordFrom) -> Result<Secret, PasswordError> {
    match from {
        PasswordFrom::Env(var) => {
            std::env::var(var).map(Secret::new).map_err(|_| PasswordError::Unset { var: var.clone() })
        }
        PasswordFrom::File(path) => std::fs::read_to_string(path)
            .map(|s| Secret::new(s.trim_end_matches(['\n', '\r']).to_string()))
            .map_err(|source| PasswordError::Unreadable { path: path.clone(), cause: source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn sasl_ssl_with_scram() {
        let s = from_properties(
            &props(&[
                ("bootstrap.servers", "b1:9096, b2:9096"),
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "finops"),
                ("ssl.ca.location", "/ca.pem"),
            ]),
            Some(Secret::new("s3cret".into())),
            None,
        )
        .unwrap();
        assert_eq!(s.bootstrap_servers, ["b1:9096", "b2:9096"]);
        assert!(s.tls);
        let Some(SaslSettings::Password { mechanism, password, .. }) = s.sasl else { panic!("{:?}", s.sasl) };
        assert_eq!(mechanism, SaslMechanism::ScramSha512);
        assert_eq!(format!("{password:?}"), "***", "a password never prints");
    }

    fn msk_iam() -> AwsSettings {
        AwsSettings { region: Some("eu-west-1".into()), ..AwsSettings::default() }
    }

    #[test]
    fn msk_iam_is_oauthbearer_over_sasl_without_user_or_password() {
        let iam = [
            ("bootstrap.servers", "b-1.prod.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ];
        let s = from_properties(&props(&iam), None, Some(msk_iam())).unwrap();
        assert_eq!(s.sasl, Some(SaslSettings::AwsMskIam(msk_iam())));
        assert_eq!(s.sasl.unwrap().mechanism(), "OAUTHBEARER");

        // OAUTHBEARER alone: the only token this tool makes is MSK's, so the switch must say so.
        let err = from_properties(&props(&iam), None, None).unwrap_err();
        assert!(err.iter().any(|(k, m)| k == "sasl.mechanism" && m.contains("aws_msk_iam = true")), "{err:?}");

        // The switch with another mechanism, a user, or no SASL at all.
        let mut scram = props(&iam);
        scram.insert("sasl.mechanism".into(), "SCRAM-SHA-512".into());
        scram.insert("sasl.username".into(), "finops".into());
        let err = from_properties(&scram, None, Some(msk_iam())).unwrap_err();
        let keys: Vec<&str> = err.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["sasl.mechanism", "sasl.username"], "{err:?}");
        let mut plaintext = props(&iam);
        plaintext.insert("security.protocol".into(), "SSL".into());
        let err = from_properties(&plaintext, None, Some(msk_iam())).unwrap_err();
        assert!(err.iter().any(|(k, m)| k == "security.protocol" && m.contains("9098")), "{err:?}");
    }

    #[test]
    fn inline_passwords_typos_and_missing_pieces_are_refused() {
        let err = from_properties(
            &props(&[
                ("bootstrap.servers", "nohostport"),
                ("security.protocol", "SASL_SSL"),
                ("sasl.password", "oops"),
                ("ssl.ca.locaton", "/ca.pem"),
            ]),
            None,
            None,
        )
        .unwrap_err();
        let keys: Vec<&str> = err.iter().map(|(k, _)| k.as_str()).collect();
        for expected in
            ["sasl.password", "ssl.ca.locaton", "bootstrap.servers", "sasl.mechanism", "sasl.username", "password_env"]
        {
            assert!(keys.contains(&expected), "{expected} missing from {keys:?}");
        }
        assert!(!format!("{err:?}").contains("oops"), "the inline password is not echoed");
    }
}
