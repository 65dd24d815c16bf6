//! One connection to one Kafka broker, speaking the wire protocol through the `kafka-protocol` crate.
//!
//! Used for the requests rdkafka does not offer (DescribeLogDirs, racks in Metadata, batched ListOffsets and
//! OffsetFetch, ListGroups/DescribeGroups). Handles TCP, optional TLS (rustls) and SASL PLAIN, negotiates API
//! versions once per connection, and counts every request it sends. Every wait is bounded by the source's timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

use super::settings::{ConnectionSettings, SaslMechanism};

/// Largest response accepted (DescribeLogDirs of a big broker is the largest we ask for).
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;
const CLIENT_ID: &str = "kafka-finops";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectionError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The connection broke while a request was in flight.
    #[error("{addr}: {api}: {source}")]
    Lost {
        addr: String,
        api: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("{addr}: no answer within {seconds} s ({what})")]
    Timeout { addr: String, seconds: u64, what: String },
    #[error("{addr}: TLS: {source}")]
    Tls {
        addr: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("{addr}: TLS: `{host}` is not a server name: {source}")]
    ServerName {
        addr: String,
        host: String,
        #[source]
        source: Arc<rustls::pki_types::InvalidDnsNameError>,
    },
    #[error("{addr}: TLS: {source}")]
    TlsSetup {
        addr: String,
        #[source]
        source: Box<TlsSetupError>,
    },
    #[error("{addr}: SASL {mechanism} authentication failed: {reason}")]
    Auth { addr: String, mechanism: String, reason: String },
    #[error("{addr}: {api}: {reason}")]
    Protocol { addr: String, api: String, reason: String },
}

/// A TLS setting that cannot be used: which setting, which file, and why.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{setting} {path}: {source}")]
    Unreadable {
        setting: &'static str,
        path: String,
        #[source]
        source: Arc<pem::Error>,
    },
    #[error("{setting} {path}: {source}")]
    Rejected {
        setting: &'static str,
        path: String,
        #[source]
        source: rustls::Error,
    },
    #[error("protocol versions: {0}")]
    Versions(#[source] rustls::Error),
    #[error("client certificate: {0}")]
    ClientCertificate(#[source] rustls::Error),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open, authenticated connection to one broker.
pub struct BrokerConnection {
    addr: String,
    stream: Box<dyn Stream>,
    correlation_id: i32,
    /// Per API key: the highest version both sides support (from ApiVersions).
    versions: Vec<(i16, i16, i16)>,
    timeout: Duration,
    requests: Arc<AtomicU64>,
}

impl BrokerConnection {
    /// Connects, wraps in TLS if configured, negotiates versions and authenticates.
    pub async fn open(
        addr: &str,
        settings: &ConnectionSettings,
        timeout: Duration,
        requests: Arc<AtomicU64>,
    ) -> Result<Self, ConnectionError> {
        let seconds = timeout.as_secs();
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnectionError::Timeout { addr: addr.into(), seconds, what: "TCP connect".into() })?
            .map_err(|e| ConnectionError::Connect { addr: addr.into(), source: Arc::new(e) })?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = if settings.tls {
            let connector = tls_connector(settings)
                .map_err(|e| ConnectionError::TlsSetup { addr: addr.into(), source: Box::new(e) })?;
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h).trim_matches(['[', ']']);
            let name = ServerName::try_from(host.to_string()).map_err(|e| ConnectionError::ServerName {
                addr: addr.into(),
                host: host.into(),
                source: Arc::new(e),
            })?;
            let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
                .await
                .map_err(|_| ConnectionError::Timeout { addr: addr.into(), seconds, what: "TLS handshake".into() })?
                .map_err(|e| ConnectionError::Tls { addr: addr.into(), source: Arc::new(e) })?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let mut conn =
            BrokerConnection { addr: addr.into(), stream, correlation_id: 0, versions: Vec::new(), timeout, requests };
        conn.negotiate_versions().await?;
        if let Some(sasl) = &settings.sasl {
            conn.authenticate(sasl.mechanism, &sasl.username, sasl.password.expose()).await?;
        }
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

    async fn authenticate(
        &mut self,
        mechanism: SaslMechanism,
        user: &str,
        password: &str,
    ) -> Result<(), ConnectionError> {
        let auth_err = |addr: &str, reason: String| ConnectionError::Auth {
            addr: addr.into(),
            mechanism: mechanism.as_str().into(),
            reason,
        };
        let handshake = SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism.as_str()));
        let response = self.send(handshake).await?;
        if let Some(e) = response.error_code.err() {
            let offered: Vec<String> = response.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(auth_err(&self.addr, format!("{e} (the broker offers: {})", offered.join(", "))));
        }
        // The exchange itself (PLAIN or SCRAM's challenge/response) is rsasl's; Kafka only carries the bytes in
        // SaslAuthenticate requests until the mechanism is finished.
        let config = SASLConfig::with_credentials(None, user.to_string(), password.to_string())
            .map_err(|e| auth_err(&self.addr, e.to_string()))?;
        let wanted = Mechname::parse(mechanism.as_str().as_bytes()).map_err(|e| auth_err(&self.addr, e.to_string()))?;
        let mut session =
            SASLClient::new(config).start_suggested(&[wanted]).map_err(|e| auth_err(&self.addr, e.to_string()))?;
        let mut input: Option<Vec<u8>> = None;
        // SCRAM needs two round trips, PLAIN one; a mechanism asking for more is refused.
        for _ in 0..4 {
            let mut out = Vec::new();
            let state = session.step(input.as_deref(), &mut out).map_err(|e| auth_err(&self.addr, e.to_string()))?;
            if matches!(state, State::Running | State::Finished(MessageSent::Yes)) {
                let response = self.send(SaslAuthenticateRequest::default().with_auth_bytes(out.into())).await?;
                if let Some(e) = response.error_code.err() {
                    let detail = response.error_message.map(|m| m.to_string()).unwrap_or_else(|| e.to_string());
                    return Err(auth_err(&self.addr, detail));
                }
                input = Some(response.auth_bytes.to_vec());
            }
            if state.is_finished() {
                return Ok(());
            }
        }
        Err(auth_err(&self.addr, "the exchange did not finish".into()))
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

    /// Sends one request at the negotiated version and returns its response.
    pub async fn send<R: Request>(&mut self, request: R) -> Result<R::Response, ConnectionError> {
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
            .map_err(|e| ConnectionError::Lost { addr: addr.clone(), api: api.clone(), source: Arc::new(e) })?;
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
        move |e| TlsSetupError::Unreadable { setting, path: path.to_string(), source: Arc::new(e) }
    }
    let ca = settings.ssl_ca_location.as_deref().unwrap_or("/etc/ssl/certs/ca-certificates.crt");
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(unreadable("ssl.ca.location", ca))? {
        let cert = cert.map_err(unreadable("ssl.ca.location", ca))?;
        roots.add(cert).map_err(|source| TlsSetupError::Rejected {
            setting: "ssl.ca.location",
            path: ca.to_string(),
            source,
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
