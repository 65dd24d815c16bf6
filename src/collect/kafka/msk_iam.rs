//! The token of Amazon MSK's IAM authentication (SASL/OAUTHBEARER): a SigV4-presigned `kafka-cluster:Connect` URL for
//! the cluster's region, valid for 15 minutes, encoded base64url without padding, as AWS's open-source
//! aws-msk-iam-sasl-signer libraries make it (tests/it/msk_iam.rs checks it against the Python one, for the same
//! credentials and time). [`Signer`] makes one for each connection and each re-authentication, with credentials
//! from the AWS default chain or the source's role, read again before they expire.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;

use crate::collect::aws::{AwsCallError, AwsSettings, error_chain, sdk_config};

/// How long a token is valid (the signer libraries' default, and the most MSK accepts).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The service name MSK's IAM access control signs for.
const SIGNING_NAME: &str = "kafka-cluster";
const ACTION: &str = "kafka-cluster:Connect";
const USER_AGENT: &str = concat!("kafka-finops/", env!("CARGO_PKG_VERSION"));

/// Why a token could not be signed. The cause is in the message, not carried as a source (it would print twice).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("MSK IAM token: signing parameters: {0}")]
    Params(v4::signing_params::BuildError),
    #[error("MSK IAM token: signing: {0}")]
    Sign(aws_sigv4::http_request::SigningError),
}

impl From<v4::signing_params::BuildError> for TokenError {
    fn from(e: v4::signing_params::BuildError) -> Self {
        TokenError::Params(e)
    }
}

impl From<aws_sigv4::http_request::SigningError> for TokenError {
    fn from(e: aws_sigv4::http_request::SigningError) -> Self {
        TokenError::Sign(e)
    }
}

/// Credentials are read again when they expire within this margin, so no token outlives its credentials' first
/// minutes (the AWS SDKs refresh with the same five-minute buffer).
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// Makes MSK IAM tokens for one cluster: its region, and the AWS credentials of the source (default chain, profile,
/// role), resolved on first use and kept until they are about to expire.
pub struct Signer {
    aws: AwsSettings,
    region: String,
    state: tokio::sync::Mutex<Option<Cached>>,
}

struct Cached {
    provider: SharedCredentialsProvider,
    credentials: Option<Credentials>,
}

/// Why no token could be made.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error(transparent)]
    Aws(#[from] AwsCallError),
    #[error("no AWS credentials provider is configured")]
    NoProvider,
    #[error("no AWS credentials (default chain{}): {causes}", .role.as_ref().map(|r| format!(", then role {r}")).unwrap_or_default())]
    Credentials { role: Option<String>, causes: String },
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl Signer {
    /// A signer for tokens of `region`, with the credentials `aws` describes.
    pub fn new(aws: AwsSettings, region: String) -> Self {
        Signer { aws, region, state: tokio::sync::Mutex::new(None) }
    }

    /// A signer for tokens of `region` with credentials from `provider`, for callers that hold credentials
    /// themselves (the tests; a program embedding the collector).
    pub fn from_provider(provider: SharedCredentialsProvider, region: String) -> Self {
        let cached = Cached { provider, credentials: None };
        Signer { aws: AwsSettings::default(), region, state: tokio::sync::Mutex::new(Some(cached)) }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// A token signed now, valid for [`TOKEN_LIFETIME`].
    pub async fn token(&self) -> Result<String, SignerError> {
        let mut state = self.state.lock().await;
        let cached = match &mut *state {
            Some(cached) => cached,
            empty => {
                let config = sdk_config(&self.aws).await?;
                let provider = config.credentials_provider().ok_or(SignerError::NoProvider)?;
                empty.insert(Cached { provider, credentials: None })
            }
        };
        let now = SystemTime::now();
        let fresh = cached.credentials.as_ref().filter(|c| c.expiry().is_none_or(|at| at > now + CREDENTIALS_MARGIN));
        let credentials = match fresh {
            Some(c) => c.clone(),
            None => {
                let c = cached.provider.provide_credentials().await.map_err(|e| SignerError::Credentials {
                    role: self.aws.role.as_ref().map(|r| r.arn.clone()),
                    causes: error_chain(&e),
                })?;
                cached.credentials = Some(c.clone());
                c
            }
        };
        Ok(token(&self.region, &credentials, now)?)
    }
}

/// The token for a cluster in `region`, signed with `credentials` at `now`.
pub fn token(region: &str, credentials: &Credentials, now: SystemTime) -> Result<String, TokenError> {
    let identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(now)
        .settings(settings)
        .build()?
        .into();
    let host = format!("kafka.{region}.amazonaws.com");
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", ACTION);
    let unsigned = format!("https://{host}/?{}", query.finish());
    let request = SignableRequest::new("GET", unsigned.as_str(), std::iter::empty(), SignableBody::Bytes(&[]))?;
    let (instructions, _signature) = sign(request, &params)?.into_parts();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", ACTION);
    for (name, value) in instructions.params() {
        query.append_pair(name, value);
    }
    query.append_pair("User-Agent", USER_AGENT);
    let signed = format!("https://{host}/?{}", query.finish());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::provider::future;

    use super::*;

    /// Credentials expiring `lasts` from when they are asked for; counts the asks.
    #[derive(Debug)]
    struct Counting {
        asked: Arc<AtomicUsize>,
        lasts: Option<Duration>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.asked.fetch_add(1, Ordering::SeqCst);
            let expiry = self.lasts.map(|d| SystemTime::now() + d);
            future::ProvideCredentials::ready(Ok(Credentials::new("AKID", "secret", None, expiry, "test")))
        }
    }

    fn asks_for_three_tokens(lasts: Option<Duration>) -> usize {
        let asked = Arc::new(AtomicUsize::new(0));
        let provider = SharedCredentialsProvider::new(Counting { asked: asked.clone(), lasts });
        let signer = Signer::from_provider(provider, "eu-west-1".into());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for _ in 0..3 {
            runtime.block_on(signer.token()).unwrap();
        }
        asked.load(Ordering::SeqCst)
    }

    #[test]
    fn credentials_are_read_once_and_again_only_when_about_to_expire() {
        assert_eq!(asks_for_three_tokens(None), 1, "long-lived keys: read once");
        assert_eq!(asks_for_three_tokens(Some(Duration::from_secs(3600))), 1, "an hour left: kept");
        // Four minutes left is inside the five-minute margin: every token reads them again.
        assert_eq!(asks_for_three_tokens(Some(Duration::from_secs(240))), 3, "about to expire: read again");
    }
}
