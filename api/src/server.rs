//! Assembling the HTTP application and running it.

use std::sync::Arc;
use std::time::Instant;

use poem::endpoint::{StaticFilesEndpoint, make_sync};
use poem::http::{HeaderValue, StatusCode, header};
use poem::listener::TcpAcceptor;
use poem::middleware::CookieJarManager;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};
use poem_openapi::OpenApiService;
use swarmpress_schema::store::{Store, StoreError};
use tracing::Instrument;

use crate::allow::AllowedMethods;
use crate::config::Config;
use crate::error::ApiError;
use crate::passwords::PasswordPool;
use crate::routes;
use crate::state::AppState;
use crate::throttle::{LoginThrottle, RegistrationThrottle, ThrottleLimits};
use crate::tokens::JwtKeys;

pub const API_PREFIX: &str = "/api/v1";
const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] StoreError),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
}

/// The OpenAPI service: every operation, mounted under [`API_PREFIX`].
pub fn openapi_service() -> OpenApiService<routes::Api, ()> {
    OpenApiService::new(routes::api(), "swarmpress", env!("CARGO_PKG_VERSION"))
        .description(
            "Control-plane API of swarmpress. It stores desired state; the controller \
             converges the platform to it. Errors are application/problem+json.",
        )
        .server(API_PREFIX)
}

/// The OpenAPI document as JSON (what `swarmpress-api openapi` prints).
pub fn openapi_json() -> String {
    let generated = openapi_service().spec();
    // The generated document is valid JSON by construction; should that ever break, the
    // generated text is still a document, only a less exact one.
    crate::openapi::document(&generated).unwrap_or(generated)
}

/// How long a starting API waits for its database before it gives up.
const DATABASE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Connects to the database, runs the migrations, creates the first admin if there is none,
/// and builds the shared state.
pub async fn prepare(config: Config) -> Result<AppState, StartError> {
    // Patient: the API may start beside a MariaDB task that is being replaced.
    let store = Store::connect_patiently(&config.database.url(), DATABASE_PATIENCE).await?;
    store.migrate().await?;
    let state = AppState {
        jwt: JwtKeys::new(&config.jwt_secret),
        passwords: PasswordPool::new()?,
        throttle: LoginThrottle::new(ThrottleLimits::default()),
        registrations: RegistrationThrottle::with_limit(
            usize::try_from(config.registrations_per_hour).unwrap_or(usize::MAX),
            std::time::Duration::from_secs(60 * 60),
        ),
        credentials: crate::auth::cache::CredentialCache::default(),
        docker: crate::docker::DockerHandle::default(),
        feed: crate::feed::ChangeFeed::new(store.clone()),
        streams: crate::streams::StreamSlots::new(crate::streams::StreamLimits {
            per_user: config.streams_per_user,
            total: config.streams_total,
        }),
        regions: crate::regions::RegionCache::default(),
        maintenance: crate::maintenance::MaintenanceGate::default(),
        config: Arc::new(config),
        store,
    };
    crate::bootstrap::ensure_admin(&state).await?;
    Ok(state)
}

/// The whole application: the API, its OpenAPI document and Swagger UI, problem+json for
/// every error, and a request id and log line per request.
pub fn app(state: AppState) -> impl Endpoint<Output = Response> {
    let service = openapi_service();
    // Generated once: the 405 table, the served document and Swagger UI all read it.
    let generated = service.spec();
    let allowed = Arc::new(AllowedMethods::from_spec(&generated, API_PREFIX));
    let document = crate::openapi::document(&generated).unwrap_or_else(|_| generated.clone());
    // Swagger UI embeds the document verbatim: show it the exact one.
    let docs_html = service.swagger_ui_html().replacen(&generated, &document, 1);
    let spec = make_sync(move |_| {
        Response::builder()
            .content_type("application/json")
            .body(document.clone())
    });
    let docs = make_sync(move |_| Html(docs_html.clone()));
    let mut route = Route::new()
        .at(format!("{API_PREFIX}/openapi.json"), spec)
        .nest(API_PREFIX, service)
        .nest("/api/docs", docs);
    if let Some(dir) = &state.config.portal_dir {
        // Client-side routes (/sites/acme, …) are not files: they fall back to index.html.
        route = route.nest(
            "/",
            StaticFilesEndpoint::new(dir)
                .index_file("index.html")
                .fallback_to_index(),
        );
    }
    route
        .around(crate::auth::read_only_tokens)
        .around(crate::maintenance::blocks_writes)
        .data(state)
        .catch_all_error(|error| async move { ApiError::from_poem(error).into_response() })
        .around(move |endpoint, request| {
            let allowed = Arc::clone(&allowed);
            async move { with_allow(&allowed, endpoint, request).await }
        })
        // Outside the error handler, so cookies set before an error still reach the client
        // (a refresh-token reuse clears them and answers 401).
        .with(CookieJarManager::new())
        .around(security_headers)
        .around(log_request)
}

/// The portal's policy: its own scripts, styles, images and API only; styles may be inline
/// (React and Recharts set style attributes); never framed.
const PORTAL_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/// Swagger UI's page carries its script inline.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
/// API answers are data, never a document to render.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Browser hardening on every answer (RFC 9110 answers, the portal and Swagger UI alike):
/// a content security policy by kind of page, no framing, no MIME sniffing, no referrer.
async fn security_headers<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    let mut response = endpoint.call(request).await?.into_response();
    let csp = if path.starts_with("/api/docs") {
        DOCS_CSP
    } else if path.starts_with("/api/") || path == "/api" {
        API_CSP
    } else {
        PORTAL_CSP
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}

/// A 405 says which methods the path does have (RFC 9110 §15.5.6).
async fn with_allow<E: Endpoint>(
    allowed: &AllowedMethods,
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let path = request.uri().path().to_owned();
    let mut response = endpoint.call(request).await?.into_response();
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(methods) = allowed.for_path(&path)
        && let Ok(value) = HeaderValue::from_str(methods)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}

/// Tags the request with an id (the caller's `X-Request-Id` when it is sane, else a new
/// UUID), runs it inside a span carrying that id, echoes the id back and logs the outcome.
async fn log_request<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let id = request
        .header(REQUEST_ID_HEADER)
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = request.method().clone();
    // The path only: query strings can carry tokens' neighbours and are not needed here.
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    async move {
        let mut response = match endpoint.call(request).await {
            Ok(response) => response.into_response(),
            Err(error) => ApiError::from_poem(error).into_response(),
        };
        let status = response.status();
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), elapsed_ms, "request failed");
        } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_client_error() {
            tracing::info!(status = status.as_u16(), elapsed_ms, "request refused");
        } else {
            tracing::info!(status = status.as_u16(), elapsed_ms, "request served");
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// A server bound to a port, not yet serving.
pub struct BoundServer {
    acceptor: TcpAcceptor,
    pub local_addr: std::net::SocketAddr,
}

impl BoundServer {
    pub async fn bind(addr: std::net::SocketAddr) -> Result<Self, StartError> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            acceptor: TcpAcceptor::from_tokio(listener)?,
            local_addr,
        })
    }

    /// Serves until `shutdown` resolves, then lets open requests finish for a few seconds.
    pub async fn serve(
        self,
        state: AppState,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), StartError> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                app(state),
                shutdown,
                Some(std::time::Duration::from_secs(5)),
            )
            .await?;
        Ok(())
    }
}
