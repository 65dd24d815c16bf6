//! The AWS sources, and the one place their clients are built: the SDK's default credential chain (environment,
//! profile, SSO, container or instance role), a region and an optional endpoint override per source (the emulator
//! in tests, VPC endpoints in production), standard retries with bounded backoff for throttling and 5xx.
//!
//! Every AWS action the tool calls is in [`IAM_ACTIONS`]; the README's read-only policy lists exactly these, and a
//! test checks both against the SDK calls in this folder. A denied call flags its source as failed and names the
//! missing action; it is never read as "no cost".

pub mod athena;
pub mod athena_sql;
pub mod billing_export;
pub mod cloudwatch;
pub mod cost_explorer;
pub mod cur;
mod export_cache;
mod export_csv;
mod export_dictionary;
pub mod exports;
pub mod focus;
mod in_place;
pub mod msk;
pub mod price_list;
pub mod settings;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::ProvideErrorMetadata;

/// Every IAM action kafka-finops calls, with the SDK call that needs it (`client.<call>()`). Read-only.
pub const IAM_ACTIONS: &[(&str, &str)] = &[
    ("ce:GetCostAndUsage", "get_cost_and_usage"),
    ("cloudwatch:GetMetricData", "get_metric_data"),
    ("cloudwatch:ListMetrics", "list_metrics"),
    ("kafka:ListClustersV2", "list_clusters_v2"),
    ("kafka:GetBootstrapBrokers", "get_bootstrap_brokers"),
    ("kafka:ListNodes", "list_nodes"),
    ("s3:ListBucket", "list_objects_v2"),
    ("s3:GetObject", "get_object"),
    // HeadObject (an object's ETag, to reuse its kept rollup) is allowed by s3:GetObject.
    ("s3:GetObject", "head_object"),
    ("pricing:GetProducts", "get_products"),
    // The `athena` source. Athena runs the query as these credentials: they also need glue:GetDatabase,
    // glue:GetTable and glue:GetPartitions on the export's table, s3:GetObject and s3:ListBucket on its bucket, and
    // s3:PutObject and s3:GetBucketLocation on the output location (the README's policy lists them).
    ("athena:StartQueryExecution", "start_query_execution"),
    ("athena:GetQueryExecution", "get_query_execution"),
    ("athena:StopQueryExecution", "stop_query_execution"),
];

/// Where and as whom an AWS source connects. Credentials are never in the config: the SDK's default chain finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    /// e.g. `http://127.0.0.1:15000` (the emulator) or a VPC endpoint.
    pub endpoint_url: Option<String>,
    /// A named profile of the shared config files (SSO profiles included).
    pub profile: Option<String>,
    /// A role to assume with the credentials above as the base (cross-account: billing in the payer account,
    /// metrics in the member accounts).
    pub role: Option<AssumeRole>,
}

/// A role a source assumes through STS before any call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub arn: String,
    /// The external id the role's trust policy requires, if it does.
    pub external_id: Option<String>,
    /// The session name CloudTrail shows for the source's calls.
    pub session_name: String,
}

/// Attempts per call, the first included: throttling and 5xx are retried with exponential backoff and jitter.
const MAX_ATTEMPTS: u32 = 4;

/// The shared SDK config of one source: the default credential chain (or the profile), then the source's role
/// assumed with them when it names one. A role that cannot be assumed fails here, naming the role, before any call.
pub async fn sdk_config(settings: &AwsSettings) -> Result<SdkConfig, AwsCallError> {
    let config = base_config(settings).await;
    let Some(role) = &settings.role else { return Ok(config) };
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(&role.arn).session_name(&role.session_name);
    if let Some(id) = &role.external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.configure(&config).build().await;
    use aws_credential_types::provider::ProvideCredentials;
    if let Err(e) = provider.provide_credentials().await {
        return Err(AwsCallError::AssumeRole { role: role.arn.clone(), causes: error_chain(&e) });
    }
    let credentials = aws_credential_types::provider::SharedCredentialsProvider::new(provider);
    Ok(config.to_builder().credentials_provider(credentials).build())
}

/// The SDK config from the default chain (or the profile), with the source's region and endpoint.
async fn base_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(5)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(120))
                .build(),
        );
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return config;
    }
    // Neither the config, the environment nor a profile names a region: us-east-1, where Cost Explorer lives and
    // where most billing buckets are; said in the log so a redirect error is not a mystery.
    tracing::warn!("no AWS region set (config `region`, AWS_REGION or a profile); using {DEFAULT_REGION}");
    config.to_builder().region(Region::new(DEFAULT_REGION)).build()
}

const DEFAULT_REGION: &str = "us-east-1";

/// The HTTPS client every AWS call goes through, credential providers included: hyper on rustls with the ring
/// provider (the one the rest of the tool's TLS uses), trusting the system's root certificates.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// An S3 client; path-style addressing when an endpoint is overridden (emulators and VPC endpoints need it).
pub fn s3_client(config: &SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config).force_path_style(settings.endpoint_url.is_some()).build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A single-threaded runtime for one source's calls; sources run one after another.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// A failed AWS call: what was asked, the service's error code and message, and, when access was denied, the IAM
/// action to grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsCallError {
    #[error("{what}: access denied ({code}); grant the IAM action `{action}` to these credentials. {message}")]
    Denied { what: String, action: &'static str, code: String, message: String },
    #[error("{}", format!("{what}: {code}: {message}").trim_end_matches([' ', ':']))]
    Service { what: String, code: String, message: String },
    /// The request got no answer (network, DNS, timeout); `causes` is the error and its sources on one line.
    #[error("{what}: no answer from the service ({causes})")]
    Unanswered { what: String, causes: String },
    #[error("{what}: {causes}")]
    Other { what: String, causes: String },
    /// The source's role could not be assumed with the base credentials.
    #[error(
        "assuming role `{role}`: {causes}; the base credentials need `sts:AssumeRole` on it, and its trust policy \
         must allow them (and require the `external_id` given, if any)"
    )]
    AssumeRole { role: String, causes: String },
}

impl AwsCallError {
    /// Classifies an SDK error of the call `action` (the IAM action it needs), described as `what`.
    pub fn new<E, R>(action: &'static str, what: impl Into<String>, err: &aws_sdk_s3::error::SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        use aws_sdk_s3::error::SdkError;
        let what = what.into();
        match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("unknown error").to_string();
                let message = e.message().unwrap_or("").to_string();
                if is_access_denied(&code) {
                    AwsCallError::Denied { what, action, code, message }
                } else {
                    AwsCallError::Service { what, code, message }
                }
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                AwsCallError::Unanswered { what, causes: error_chain(err) }
            }
            other => AwsCallError::Other { what, causes: error_chain(other) },
        }
    }
}

fn is_access_denied(code: &str) -> bool {
    matches!(code, "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "UnauthorizedAccess")
}

/// The error and its causes on one line (the SDK's top-level messages alone are vague: "dispatch failure").
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        parts.push(e.to_string());
        source = e.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// One GetObject (of a byte range, e.g. `bytes=-65536`, when given), counted; errors say which object and, when
/// denied, which IAM action is missing.
pub(super) async fn get_object(
    client: &aws_sdk_s3::Client,
    (bucket, key): (&str, &str),
    range: Option<String>,
    requests: &mut u64,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, AwsCallError> {
    *requests += 1;
    crate::collect::progress_requests(*requests);
    send_get(client, (bucket, key), range).await
}

/// The GetObject itself, for callers that count their requests as they start them (several at once).
pub(super) async fn send_get(
    client: &aws_sdk_s3::Client,
    (bucket, key): (&str, &str),
    range: Option<String>,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, AwsCallError> {
    let what = match &range {
        Some(r) => format!("reading s3://{bucket}/{key} ({r})"),
        None => format!("reading s3://{bucket}/{key}"),
    };
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_range(range)
        .send()
        .await
        .map_err(|e| AwsCallError::new("s3:GetObject", what, &e))
}
