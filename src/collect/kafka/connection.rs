//! One connection to one Kafka broker, speaking the wire protocol through the `kafka-protocol` crate.
//!
//! Used for the requests rdkafka does not offer (DescribeLogDirs, racks in Metadata, batched ListOffsets and
//! OffsetFetch, ListGroups/DescribeGroups). Handles TCP, optional TLS (rustls) and SASL (PLAIN and SCRAM through
//! rsasl; OAUTHBEARER with Amazon MSK's IAM token), negotiates API versions once per connection, and counts every
//! request it sends. Every wait is bounded by the source's timeout.
//!
//! When the broker limits a session's lifetime (`connections.max.reauth.ms`, and MSK's IAM sessions, which end with
//! their token), the connection authenticates again on its own before the session ends (KIP-368), with a fresh
//! token, as Kafka's Java client does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, BytesMut};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Message, Request, StrBytes};
use rsasl::prelude::{Mechname, MessageSent, SASLClient, SASLConfig, State};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::msk_iam::Signer;
use super::settings::{ConnectionSettings, SaslMechanism, SaslSettings, Secret};

/// Largest response accepted (DescribeLogDirs of a big broker is the largest we ask for).
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;
const CLIENT_ID: &str = "kafka-finops";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectionError {
    #[error("cannot connect to {addr}: {cause}")]
    Connect { addr: String, cause: Arc<std::io::Error> },
    /// The connection broke while a request was in flight.
    #[error("{addr}: {api}: {cause}")]
    Lost { addr: String, api: String, cause: Arc<std::io::Error> },
    #[error("{addr}: no answer within {seconds} s ({what})")]
    Timeout { addr: String, seconds: u64, what: String },
    #[error("{addr}: TLS: {cause}")]
    Tls { addr: String, cause: Arc<std::io::Error> },
    #[error("{addr}: TLS: `{host}` is not a server name: {cause}")]
    ServerName { addr: String, host: String, cause: Arc<rustls::pki_types::InvalidDnsNameError> },
    #[error("{addr}: TLS: {cause}")]
    TlsSetup { addr: String, cause: Box<TlsSetupError> },
    #[error("{addr}: SASL {mechanism} authentication failed: {reason}")]
    Auth { addr: String, mechanism: String, reason: String },
    #[error("{addr}: {api}: {reason}")]
    Protocol { addr: String, api: String, reason: String },
}

/// A TLS setting that cannot be used: which setting, which file, and why.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{setting} {path}: {cause}")]
    Unreadable { setting: &'static str, path: String, cause: Arc<pem::Error> },
    #[error("{setting} {path}: {cause}")]
    Rejected { setting: &'static str, path: String, cause: rustls::Error },
    #[error("protocol versions: {0}")]
    Versions(rustls::Error),
    #[error("client certificate: {0}")]
    ClientCertificate(rustls::Error),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A session is renewed when this share of its lifetime has passed (Kafka's Java client picks 85-95 %).
const REAUTH_AT_PERCENT: u64 = 85;

/// How connections to one cluster prove who they are.
#[derive(Clone)]
enum Login {
    Password {
        mechanism: SaslMechanism,
        username: String,
        password: Secret,
    },
    /// One signer for every connection of the source, so the AWS credentials are resolved once.
    MskIam(Arc<Signer>),
}

impl Login {
    fn mechanism(&self) -> &'static str {
        match self {
            Login::Password { mechanism, .. } => mechanism.as_str(),
            Login::MskIam(_) => super::settings::OAUTHBEARER,
        }
    }
}

/// Opens connections to one cluster's brokers: its settings, how long to wait, the source's request counter and
/// its login. Cheap to clone; clones share the counter and the MSK IAM signer.
#[derive(Clone)]
pub struct Dialer {
    settings: Arc<ConnectionSettings>,
    timeout: Duration,
    requests: Arc<AtomicU64>,
    login: Option<Login>,
}

impl Dialer {
    pub fn new(settings: ConnectionSettings, timeout: Duration) -> Self {
        let login = settings.sasl.as_ref().map(|sasl| match sasl {
            SaslSettings::Password { mechanism, username, password } => {
                Login::Password { mechanism: *mechanism, username: username.clone(), password: password.clone() }
            }
            SaslSettings::AwsMskIam(aws) => {
                let region = aws.region.clone().unwrap_or_default();
                Login::MskIam(Arc::new(Signer::new(aws.clone(), region)))
            }
        });
        Dialer { settings: Arc::new(settings), timeout, requests: Arc::new(AtomicU64::new(0)), login }
    }

    /// A dialer whose MSK IAM tokens come from `signer` (settings that ask for MSK IAM authentication).
    pub fn with_signer(settings: ConnectionSettings, timeout: Duration, signer: Arc<Signer>) -> Self {
        let mut dialer = Dialer::new(settings, timeout);
        if let Some(Login::MskIam(own)) = &mut dialer.login {
            *own = signer;
        }
        dialer
    }

    /// Requests sent so far on every connection this dialer opened.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn bootstrap_servers(&self) -> &[String] {
        &self.settings.bootstrap_servers
    }

    /// Connects to `addr`, wraps in TLS if configured, negotiates versions and authenticates.
    pub async fn open(&self, addr: &str) -> Result<BrokerConnection, ConnectionError> {
        BrokerConnection::open(addr, self).await
    }
}

/// An open, authenticated connection to one broker.
pub struct BrokerConnection {
    addr: String,
    stream: Box<dyn Stream>,
    correlation_id: i32,
    /// Per API key: the highest version both sides support (from ApiVersions).
    versions: Vec<(i16, i16, i16)>,
    timeout: Duration,
    requests: Arc<AtomicU64>,
    login: Option<Login>,
    /// When the session must be renewed (set when the broker limits its lifetime).
    reauthenticate_at: Option<Instant>,
}

impl BrokerConnection {
    async fn open(addr: &str, dialer: &Dialer) -> Result<Self, ConnectionError> {
        let (settings, timeout) = (&*dialer.settings, dialer.timeout);
        let seconds = timeout.as_secs();
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnectionError::Timeout { addr: addr.into(), seconds, what: "TCP connect".into() })?
            .map_err(|e| ConnectionError::Connect { addr: addr.into(), cause: Arc::new(e) })?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = if settings.tls {
            let connector = tls_connector(settings)
                .map_err(|e| ConnectionError::TlsSetup { addr: addr.into(), cause: Box::new(e) })?;
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h).trim_matches(['[', ']']);
            let name = ServerName::try_from(host.to_string()).map_err(|e| ConnectionError::ServerName {
                addr: addr.into(),
                host: host.into(),
                cause: Arc::new(e),
            })?;
            let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
                .await
                .map_err(|_| ConnectionError::Timeout { addr: addr.into(), seconds, what: "TLS handshake".into() })?
                .map_err(|e| ConnectionError::Tls { addr: addr.into(), cause: Arc::new(e) })?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let mut conn = BrokerConnection {
            addr: addr.into(),
            stream,
            correlation_id: 0,
            versions: Vec::new(),
            timeout,
            requests: dialer.requests.clone(),
            login: dialer.login.clone(),
            reauthenticate_at: None,
        };
        conn.negotiate_versions().await?;
        conn.authenticate().await?;
        Ok(conn)
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    async fn negotiate_versions(&mut self) -> Result<(), ConnectionError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str(CLIENT_ID))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let response = self.exchange(&request, 3).await?;
        if let Some(e) = response.error_code.err() {
            return Err(self.protocol_error("ApiVersions", e.to_string()));
        }
        self.versions = response.api_keys.iter().map(|k| (k.api_key, k.min_version, k.max_version)).collect();
        Ok(())
    }

    /// Authenticates (again, when the session is being renewed): SaslHandshake, then the mechanism's exchange
    /// in SaslAuthenticate requests. Notes when the broker wants the session renewed.
    async fn authenticate(&mut self) -> Result<(), ConnectionError> {
        let Some(login) = self.login.clone() else { return Ok(()) };
        let mechanism = login.mechanism();
        let handshake = SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
        let response = self.send_now(handshake).await?;
        if let Some(e) = response.error_code.err() {
            let offered: Vec<String> = response.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(self.auth_error(mechanism, format!("{e} (the broker offers: {})", offered.join(", "))));
        }
        let started = Instant::now();
        let session_ms = match &login {
            Login::Password { mechanism, username, password } => {
                self.password_exchange(*mechanism, username, password.expose()).await?
            }
            Login::MskIam(signer) => {
                let token = tokio::time::timeout(self.timeout, signer.token())
                    .await
                    .map_err(|_| {
                        let reason = format!("no AWS credentials within {} s", self.timeout.as_secs());
                        self.auth_error(mechanism, reason)
                    })?
                    .map_err(|e| self.auth_error(mechanism, format!("MSK IAM token for {}: {e}", signer.region())))?;
                self.bearer_exchange(&token, signer.region()).await?
            }
        };
        self.reauthenticate_at = u64::try_from(session_ms)
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| started + Duration::from_millis(ms * REAUTH_AT_PERCENT / 100));
        Ok(())
    }

    fn auth_error(&self, mechanism: &str, reason: String) -> ConnectionError {
        ConnectionError::Auth { addr: self.addr.clone(), mechanism: mechanism.into(), reason }
    }

    /// PLAIN or SCRAM: rsasl runs the exchange; Kafka only carries its bytes in SaslAuthenticate requests until the
    /// mechanism is finished. Returns the session lifetime the broker gave (0: unlimited).
    async fn password_exchange(
        &mut self,
        mechanism: SaslMechanism,
        user: &str,
        password: &str,
    ) -> Result<i64, ConnectionError> {
        let name = mechanism.as_str();
        let config = SASLConfig::with_credentials(None, user.to_string(), password.to_string())
            .map_err(|e| self.auth_error(name, e.to_string()))?;
        let wanted = Mechname::parse(name.as_bytes()).map_err(|e| self.auth_error(name, e.to_string()))?;
        let mut session =
            SASLClient::new(config).start_suggested(&[wanted]).map_err(|e| self.auth_error(name, e.to_string()))?;
        let mut input: Option<Vec<u8>> = None;
        let mut session_ms = 0;
        // SCRAM needs two round trips, PLAIN one; a mechanism asking for more is refused.
        for _ in 0..4 {
            let mut out = Vec::new();
            let state = session.step(input.as_deref(), &mut out).map_err(|e| self.auth_error(name, e.to_string()))?;
            if matches!(state, State::Running | State::Finished(MessageSent::Yes)) {
                let response = self.send_now(SaslAuthenticateRequest::default().with_auth_bytes(out.into())).await?;
                if let Some(e) = response.error_code.err() {
                    let detail = response.error_message.map(|m| m.to_string()).unwrap_or_else(|| e.to_string());
                    return Err(self.auth_error(name, detail));
                }
                session_ms = response.session_lifetime_ms;
                input = Some(response.auth_bytes.to_vec());
            }
            if state.is_finished() {
                return Ok(session_ms);
            }
        }
        Err(self.auth_error(name, "the exchange did not finish".into()))
    }

    /// OAUTHBEARER (RFC 7628): the client's first message carries the token. A server that refuses it answers
    /// with an error document, which the client acknowledges with a lone ^A before the broker ends the exchange
    /// with its error. Returns the session lifetime the broker gave (0: unlimited).
    async fn bearer_exchange(&mut self, token: &str, region: &str) -> Result<i64, ConnectionError> {
        let name = super::settings::OAUTHBEARER;
        let first = format!("n,,\x01auth=Bearer {token}\x01\x01");
        let response =
            self.send_now(SaslAuthenticateRequest::default().with_auth_bytes(first.into_bytes().into())).await?;
        if let Some(e) = response.error_code.err() {
            let detail = response.error_message.map(|m| m.to_string()).unwrap_or_else(|| e.to_string());
            return Err(self.auth_error(name, detail));
        }
        if response.auth_bytes.is_empty() {
            return Ok(response.session_lifetime_ms);
        }
        let said = String::from_utf8_lossy(&response.auth_bytes).into_owned();
        let last = self.send_now(SaslAuthenticateRequest::default().with_auth_bytes(vec![1u8].into())).await?;
        let detail = match last.error_code.err() {
            Some(e) => last.error_message.map(|m| m.to_string()).unwrap_or_else(|| e.to_string()),
            None => "the broker did not end the refused exchange".into(),
        };
        let reason = if detail == said { said } else { format!("{said}: {detail}") };
        let hint = format!("check the AWS credentials, the region ({region}) and that they may kafka-cluster:Connect");
        Err(self.auth_error(name, format!("the broker refused the MSK IAM token ({reason}); {hint}")))
    }

    fn protocol_error(&self, api: &str, reason: String) -> ConnectionError {
        ConnectionError::Protocol { addr: self.addr.clone(), api: api.into(), reason }
    }

    /// The version to use for `R`: the highest both this client and the broker support.
    fn version_for<R: Request>(&self) -> Result<i16, ConnectionError> {
        let ours = <R as Message>::VERSIONS;
        let api = api_name(R::KEY);
        let (_, min, max) = self
            .versions
            .iter()
            .find(|(key, _, _)| *key == R::KEY)
            .copied()
            .ok_or_else(|| self.protocol_error(&api, "the broker does not support this request".into()))?;
        let version = max.min(ours.max);
        if version < min.max(ours.min) {
            return Err(self.protocol_error(&api, format!("no common version (broker {min}..{max}, client {ours})")));
        }
        Ok(version)
    }

    /// Sends one request at the negotiated version and returns its response, renewing the session first when
    /// it is due.
    pub async fn send<R: Request>(&mut self, request: R) -> Result<R::Response, ConnectionError> {
        if self.reauthenticate_at.is_some_and(|at| Instant::now() >= at) {
            tracing::debug!(addr = %self.addr, "re-authenticating before the session ends");
            self.authenticate().await?;
        }
        self.send_now(request).await
    }

    async fn send_now<R: Request>(&mut self, request: R) -> Result<R::Response, ConnectionError> {
        let version = self.version_for::<R>()?;
        self.exchange(&request, version).await
    }

    async fn exchange<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response, ConnectionError> {
        let api = api_name(R::KEY);
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str(CLIENT_ID)));
        let header_version = ApiKey::try_from(R::KEY).map(|k| k.request_header_version(version)).unwrap_or(1);
        let mut body = BytesMut::new();
        header.encode(&mut body, header_version).map_err(|e| self.protocol_error(&api, e.to_string()))?;
        request.encode(&mut body, version).map_err(|e| self.protocol_error(&api, e.to_string()))?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.put_i32(body.len() as i32);
        frame.extend_from_slice(&body);

        crate::collect::progress_requests(self.requests.fetch_add(1, Ordering::Relaxed) + 1);
        let started = std::time::Instant::now();
        let seconds = self.timeout.as_secs();
        let addr = self.addr.clone();
        let io = async {
            self.stream.write_all(&frame).await?;
            self.stream.flush().await?;
            let size = self.stream.read_i32().await?;
            if size < 0 || size as usize > MAX_RESPONSE_BYTES {
                return Err(std::io::Error::other(format!("response size {size} out of range")));
            }
            let mut buf = vec![0u8; size as usize];
            self.stream.read_exact(&mut buf).await?;
            Ok(bytes::Bytes::from(buf))
        };
        let mut bytes = tokio::time::timeout(self.timeout, io)
            .await
            .map_err(|_| ConnectionError::Timeout { addr: addr.clone(), seconds, what: api.clone() })?
            .map_err(|e| ConnectionError::Lost { addr: addr.clone(), api: api.clone(), cause: Arc::new(e) })?;
        let response_bytes = bytes.len();
        let response_header_version = <R::Response as HeaderVersion>::header_version(version);
        let header = ResponseHeader::decode(&mut bytes, response_header_version)
            .map_err(|e| self.protocol_error(&api, format!("bad response header: {e}")))?;
        if header.correlation_id != self.correlation_id {
            return Err(self.protocol_error(&api, "response does not match the request (correlation id)".into()));
        }
        let response = R::Response::decode(&mut bytes, version)
            .map_err(|e| self.protocol_error(&api, format!("bad response: {e}")))?;
        tracing::debug!(addr = %self.addr, api, version, response_bytes, ms = started.elapsed().as_millis() as u64, "request");
        if bytes.has_remaining() {
            tracing::debug!(api, remaining = bytes.remaining(), "response had trailing bytes");
        }
        Ok(response)
    }
}

fn api_name(key: i16) -> String {
    ApiKey::try_from(key).map(|k| format!("{k:?}")).unwrap_or_else(|_| format!("api {key}"))
}

fn tls_connector(settings: &ConnectionSettings) -> Result<TlsConnector, TlsSetupError> {
    fn unreadable<'a>(setting: &'static str, path: &'a str) -> impl FnOnce(pem::Error) -> TlsSetupError + 'a {
        move |e| TlsSetupError::Unreadable { setting, path: path.to_string(), cause: Arc::new(e) }
    }
    let ca = settings.ssl_ca_location.as_deref().unwrap_or("/etc/ssl/certs/ca-certificates.crt");
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(unreadable("ssl.ca.location", ca))? {
        let cert = cert.map_err(unreadable("ssl.ca.location", ca))?;
        roots.add(cert).map_err(|source| TlsSetupError::Rejected {
            setting: "ssl.ca.location",
            path: ca.to_string(),
            cause: source,
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Versions)?
        .with_root_certificates(roots);
    let config = match (&settings.ssl_certificate_location, &settings.ssl_key_location) {
        (Some(cert_path), Some(key_path)) => {
            let certs = CertificateDer::pem_file_iter(cert_path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(unreadable("ssl.certificate.location", cert_path))?;
            let key = PrivateKeyDer::from_pem_file(key_path).map_err(unreadable("ssl.key.location", key_path))?;
            builder.with_client_auth_cert(certs, key).map_err(TlsSetupError::ClientCertificate)?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(TlsConnector::from(Arc::new(config)))
}
