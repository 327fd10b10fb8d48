//! The HTTP API under `/api/v1`: thin handlers over [`crate::service`].
//!
//! One file per resource: [`session`] (login, logout, me, tokens), [`org`],
//! [`accounts`], [`sites`], [`locks`], [`operations`], [`events`],
//! [`alerts`], [`access`] (people and access), plus [`openapi`] (the document),
//! [`report_html`] (the verification report as a printable page) and [`error`] (the single
//! [`ApiError`]). [`ROUTES`] lists every route with the roles it admits; the
//! router, the OpenAPI document and the authorisation test all follow it.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod error;
pub mod events;
pub mod locks;
pub mod openapi;
pub mod operations;
pub mod org;
pub mod report_html;
pub mod session;
pub mod sites;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::MethodRouter;
use axum::Router;

pub use error::ApiError;

use crate::model::Role;
use crate::server::AppState;
use crate::service::{Principal, Roles, ADMINS, ANY_ROLE, HISTORY, OWNERS};

/// JSON body extractor whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query-string extractor whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path extractor whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(state.service.authenticate(token).await?)
    }
}

/// One route: method, path (OpenAPI syntax), who may call it.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Full path with `{param}` placeholders.
    pub path: &'static str,
    /// OpenAPI tag (the resource).
    pub tag: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Roles admitted; `None` for public routes.
    pub roles: Option<Roles>,
    /// True if the route changes state (used by the authorisation test to
    /// check that a denied call changed nothing).
    pub mutating: bool,
}

const fn r(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    roles: Option<Roles>,
) -> RouteSpec {
    let mutating = !matches!(method.as_bytes(), b"GET");
    RouteSpec {
        method,
        path,
        tag,
        summary,
        roles,
        mutating,
    }
}

/// Every route of the API.
#[rustfmt::skip]
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/api/v1/openapi.json", "meta", "This OpenAPI document", None),
    r("GET", "/api/v1/health", "meta", "Liveness and database check", None),
    r("POST", "/api/v1/login", "session", "Password login; returns a session token", None),
    r("POST", "/api/v1/logout", "session", "End the current session or revoke the token used", Some(ANY_ROLE)),
    r("GET", "/api/v1/me", "session", "The caller's account", Some(ANY_ROLE)),
    r("POST", "/api/v1/me/password", "session", "Change the caller's password (ends other sessions)", Some(ANY_ROLE)),
    r("GET", "/api/v1/tokens", "session", "The caller's tokens (metadata)", Some(ANY_ROLE)),
    r("POST", "/api/v1/tokens", "session", "Create a long-lived API token", Some(ANY_ROLE)),
    r("DELETE", "/api/v1/tokens/{id}", "session", "Revoke one of the caller's tokens", Some(ANY_ROLE)),
    r("GET", "/api/v1/org", "org", "The caller's organisation", Some(ANY_ROLE)),
    r("PATCH", "/api/v1/org", "org", "Rename the organisation", Some(OWNERS)),
    r("GET", "/api/v1/accounts", "accounts", "List accounts", Some(ADMINS)),
    r("POST", "/api/v1/accounts", "accounts", "Create an account", Some(ADMINS)),
    r("GET", "/api/v1/accounts/{id}", "accounts", "One account", Some(ADMINS)),
    r("PATCH", "/api/v1/accounts/{id}", "accounts", "Change an account's role", Some(OWNERS)),
    r("DELETE", "/api/v1/accounts/{id}", "accounts", "Delete an account", Some(OWNERS)),
    r("GET", "/api/v1/sites", "sites", "List sites", Some(ANY_ROLE)),
    r("POST", "/api/v1/sites", "sites", "Create a site", Some(ADMINS)),
    r("GET", "/api/v1/sites/{id}", "sites", "One site", Some(ANY_ROLE)),
    r("PATCH", "/api/v1/sites/{id}", "sites", "Rename a site or change its time zone", Some(ADMINS)),
    r("DELETE", "/api/v1/sites/{id}", "sites", "Delete an empty site", Some(OWNERS)),
    r("GET", "/api/v1/locks", "locks", "List locks", Some(ANY_ROLE)),
    r("GET", "/api/v1/locks/{id}", "locks", "One lock", Some(ANY_ROLE)),
    r("POST", "/api/v1/locks/claim", "locks", "Claim a lock in setup mode with its setup code", Some(ADMINS)),
    r("POST", "/api/v1/locks/{id}/reclaim", "locks", "Re-claim a lock after a factory reset (binding stale)", Some(ADMINS)),
    r("POST", "/api/v1/locks/{id}/release", "locks", "Release a lock (factory reset first if online)", Some(ADMINS)),
    r("POST", "/api/v1/locks/{id}/transfer", "locks", "Transfer a lock to another organisation (factory reset, then claimable by it)", Some(OWNERS)),
    r("POST", "/api/v1/locks/{id}/manufacturer-reset", "locks", "Factory reset authorised by a manufacturer token (ownership verified)", Some(OWNERS)),
    r("POST", "/api/v1/locks/{id}/operations", "operations", "Queue a remote operation", Some(ADMINS)),
    r("GET", "/api/v1/operations", "operations", "List operations", Some(ANY_ROLE)),
    r("GET", "/api/v1/operations/{id}", "operations", "One operation", Some(ANY_ROLE)),
    r("GET", "/api/v1/events", "events", "Search events by lock, kind and time", Some(HISTORY)),
    r("GET", "/api/v1/alerts", "alerts", "List alerts", Some(HISTORY)),
    r("POST", "/api/v1/alerts/{id}/ack", "alerts", "Acknowledge an alert", Some(HISTORY)),
    r("GET", "/api/v1/audit", "audit", "The organisation's audit trail (claims, resets, transfers)", Some(OWNERS)),
    r("GET", "/api/v1/people", "access", "List people", Some(HISTORY)),
    r("POST", "/api/v1/people", "access", "Add a person", Some(ADMINS)),
    r("GET", "/api/v1/people/{id}", "access", "A person: credentials and per-door state", Some(HISTORY)),
    r("POST", "/api/v1/people/{id}/access", "access", "Give a person access to doors with new credentials and a schedule", Some(ADMINS)),
    r("POST", "/api/v1/credentials/{id}/change-pin", "access", "Change a PIN on every door it is on (forgotten PIN)", Some(ADMINS)),
    r("POST", "/api/v1/people/{id}/revoke", "access", "Revoke a person on some or every door (moving out)", Some(ADMINS)),
    r("POST", "/api/v1/access/revoke-all-except-owners", "access", "Security scare: revoke everyone but the owners on every door", Some(OWNERS)),
    r("GET", "/api/v1/batches/{id}", "access", "Progress and per-door results of a bulk change", Some(HISTORY)),
    r("GET", "/api/v1/locks/{id}/who-can-open", "access", "Who can open a door right now, and why", Some(HISTORY)),
    r("POST", "/api/v1/locks/{id}/reenrol", "access", "Re-enrol chosen people on a reset and re-claimed lock", Some(ADMINS)),
    r("POST", "/api/v1/locks/{id}/holidays", "access", "Set or clear a lock-wide holiday (site local time; vacation, privacy or passage mode)", Some(ADMINS)),
    r("POST", "/api/v1/locks/{id}/verifications", "access", "Verify a lock after a reset: self-check and every slot digest", Some(ADMINS)),
    r("GET", "/api/v1/verifications/{id}", "access", "A verification report (JSON, or ?format=html)", Some(HISTORY)),
];

/// Roles not admitted by a route (the "too weak" ones).
pub fn denied_roles(spec: &RouteSpec) -> Vec<Role> {
    match spec.roles {
        None => Vec::new(),
        Some(ok) => Role::ALL
            .iter()
            .copied()
            .filter(|r| !ok.contains(r))
            .collect(),
    }
}

struct Builder {
    router: Router<AppState>,
    mounted: Vec<(&'static str, &'static str)>,
}

impl Builder {
    fn add(mut self, method: &'static str, path: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.mounted.push((method, path));
        self.router = self.router.route(path, mr);
        self
    }
}

fn build() -> Builder {
    use axum::routing::{delete, get, patch, post};
    let b = Builder {
        router: Router::new(),
        mounted: Vec::new(),
    };
    b.add("GET", "/api/v1/openapi.json", get(openapi::document))
        .add("GET", "/api/v1/health", get(session::health))
        .add("POST", "/api/v1/login", post(session::login))
        .add("POST", "/api/v1/logout", post(session::logout))
        .add("GET", "/api/v1/me", get(session::me))
        .add(
            "POST",
            "/api/v1/me/password",
            post(session::change_password),
        )
        .add("GET", "/api/v1/tokens", get(session::list_tokens))
        .add("POST", "/api/v1/tokens", post(session::create_token))
        .add(
            "DELETE",
            "/api/v1/tokens/{id}",
            delete(session::delete_token),
        )
        .add("GET", "/api/v1/org", get(org::get_org))
        .add("PATCH", "/api/v1/org", patch(org::rename))
        .add("GET", "/api/v1/accounts", get(accounts::list))
        .add("POST", "/api/v1/accounts", post(accounts::create))
        .add("GET", "/api/v1/accounts/{id}", get(accounts::get_one))
        .add("PATCH", "/api/v1/accounts/{id}", patch(accounts::update))
        .add("DELETE", "/api/v1/accounts/{id}", delete(accounts::remove))
        .add("GET", "/api/v1/sites", get(sites::list))
        .add("POST", "/api/v1/sites", post(sites::create))
        .add("GET", "/api/v1/sites/{id}", get(sites::get_one))
        .add("PATCH", "/api/v1/sites/{id}", patch(sites::update))
        .add("DELETE", "/api/v1/sites/{id}", delete(sites::remove))
        .add("GET", "/api/v1/locks", get(locks::list))
        .add("GET", "/api/v1/locks/{id}", get(locks::get_one))
        .add("POST", "/api/v1/locks/claim", post(locks::claim))
        .add("POST", "/api/v1/locks/{id}/reclaim", post(locks::reclaim))
        .add("POST", "/api/v1/locks/{id}/release", post(locks::release))
        .add("POST", "/api/v1/locks/{id}/transfer", post(locks::transfer))
        .add(
            "POST",
            "/api/v1/locks/{id}/manufacturer-reset",
            post(locks::manufacturer_reset),
        )
        .add(
            "POST",
            "/api/v1/locks/{id}/operations",
            post(operations::request),
        )
        .add("GET", "/api/v1/operations", get(operations::list))
        .add("GET", "/api/v1/operations/{id}", get(operations::get_one))
        .add("GET", "/api/v1/events", get(events::search))
        .add("GET", "/api/v1/alerts", get(alerts::list))
        .add("POST", "/api/v1/alerts/{id}/ack", post(alerts::ack))
        .add("GET", "/api/v1/audit", get(locks::audit))
        .add("GET", "/api/v1/people", get(access::list_people))
        .add("POST", "/api/v1/people", post(access::create_person))
        .add("GET", "/api/v1/people/{id}", get(access::get_person))
        .add("POST", "/api/v1/people/{id}/access", post(access::grant))
        .add(
            "POST",
            "/api/v1/credentials/{id}/change-pin",
            post(access::change_pin),
        )
        .add("POST", "/api/v1/people/{id}/revoke", post(access::revoke))
        .add(
            "POST",
            "/api/v1/access/revoke-all-except-owners",
            post(access::revoke_all),
        )
        .add("GET", "/api/v1/batches/{id}", get(access::batch))
        .add(
            "GET",
            "/api/v1/locks/{id}/who-can-open",
            get(access::who_can_open),
        )
        .add("POST", "/api/v1/locks/{id}/reenrol", post(access::reenrol))
        .add("POST", "/api/v1/locks/{id}/holidays", post(access::holiday))
        .add(
            "POST",
            "/api/v1/locks/{id}/verifications",
            post(access::start_verification),
        )
        .add(
            "GET",
            "/api/v1/verifications/{id}",
            get(access::get_verification),
        )
}

/// The (method, path) pairs the router actually mounts; a test checks they
/// are exactly [`ROUTES`].
pub fn mounted_routes() -> Vec<(&'static str, &'static str)> {
    build().mounted
}

async fn fallback() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this path does not accept that method",
    )
}

/// `GET /`: a placeholder page until the web UI exists.
async fn landing() -> axum::response::Html<&'static str> {
    axum::response::Html(
        "<!doctype html><title>Tumbler hub</title><h1>Tumbler hub</h1>\
         <p>The web UI is not there yet. The API is under <code>/api/v1</code>; \
         see <a href=\"/api/v1/openapi.json\">the OpenAPI document</a>, \
         or use the <code>tumbler</code> command.</p>",
    )
}

/// The whole HTTP application; test it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    build()
        .router
        .route("/", axum::routing::get(landing))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}
