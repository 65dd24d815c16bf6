//! The token of Amazon MSK's IAM authentication (SASL/OAUTHBEARER): a SigV4-presigned `kafka-cluster:Connect` URL for
//! the cluster's region, valid for 15 minutes, encoded base64url without padding, as AWS's open-source
//! aws-msk-iam-sasl-signer libraries make it (tests/it/msk_iam.rs checks it against the Python one, for the same
//! credentials and time). The connection that carries it over OAUTHBEARER is not built yet (issue 16, item 1).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;

/// How long a token is valid (the signer libraries' default, and the most MSK accepts).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// The service name MSK's IAM access control signs for.
const SIGNING_NAME: &str = "kafka-cluster";
const ACTION: &str = "kafka-cluster:Connect";
const USER_AGENT: &str = concat!("kafka-finops/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("MSK IAM token: signing parameters: {0}")]
    Params(#[from] v4::signing_params::BuildError),
    #[error("MSK IAM token: signing: {0}")]
    Sign(#[from] aws_sigv4::http_request::SigningError),
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
