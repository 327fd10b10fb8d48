//! The HTTP API under `/api/v1`: thin handlers over [`crate::service`].
//!
//! One file per resource: [`session`] (login, logout, me, tokens), [`org`],
//! [`accounts`], [`sites`], [`locks`], [`operations`], [`events`],
//! [`alerts`], [`access`] (people and access), [`observe`] (health probes, metrics), [`doctor`] (troubleshooting), [`offline`] (codes that work offline), [`hotel`] (the hotel front desk), [`webhooks`] (endpoints, delivery log), plus [`openapi`] (the document),
//! [`report_html`] (the verification report as a printable page), [`body`] (the JSON
//! body extractor) and [`error`] (the single [`ApiError`]). [`ROUTES`] lists every route with the roles it admits and
//! its handler; the router is built from it, and the OpenAPI document and
//! the authorisation test follow it.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod body;
pub mod doctor;
pub mod error;
pub mod events;
pub mod hotel;
pub mod locks;
pub mod observe;
pub mod offline;
pub mod openapi;
pub mod operations;
pub mod org;
pub mod rentals;
pub mod report_html;
pub mod session;
pub mod settings;
pub mod sites;
mod state;
pub mod webhooks;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;

pub use body::ApiJson;
pub use error::ApiError;
pub use state::AppState;

use crate::model::Role;
use crate::service::{Principal, Roles, ADMINS, ANY_ROLE, HISTORY, OWNERS};

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

/// One route: method, path (OpenAPI syntax), who may call it, and the
/// handler that serves it.
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
    /// `method` as axum's filter (derived from it, so the two cannot differ).
    filter: MethodFilter,
    /// Mounts the handler for a method filter (always called with `filter`).
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// The method filter for an upper-case method name. Only evaluated while
/// compiling [`ROUTES`] (a `const`), so an unknown method is a build error,
/// never a panic at run time.
#[allow(clippy::panic)]
const fn method_filter(method: &'static str) -> MethodFilter {
    match method.as_bytes() {
        b"GET" => MethodFilter::GET,
        b"POST" => MethodFilter::POST,
        b"PATCH" => MethodFilter::PATCH,
        b"PUT" => MethodFilter::PUT,
        b"DELETE" => MethodFilter::DELETE,
        _ => panic!("ROUTES: unknown HTTP method"),
    }
}

const fn r(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    roles: Option<Roles>,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> RouteSpec {
    let mutating = !matches!(method.as_bytes(), b"GET");
    RouteSpec {
        method,
        path,
        tag,
        summary,
        roles,
        mutating,
        filter: method_filter(method),
        handler,
    }
}

/// A handler as a table entry: mounted with the entry's own method filter.
macro_rules! h {
    ($handler:path) => {
        |m| axum::routing::on(m, $handler)
    };
}

/// Every route of the API.
#[rustfmt::skip]
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/api/v1/openapi.json", "meta", "This OpenAPI document", None, h!(openapi::document)),
    r("GET", "/api/v1/health", "meta", "Liveness and database check", None, h!(session::health)),
    r("GET", "/health/live", "meta", "Liveness probe: the process serves HTTP", None, h!(observe::live)),
    r("GET", "/health/ready", "meta", "Readiness probe: database answers and broker link steady (503 when not)", None, h!(observe::ready)),
    r("GET", "/metrics", "meta", "Prometheus metrics (a bearer token set by --metrics-token, or loopback clients)", None, h!(observe::metrics)),
    r("POST", "/api/v1/login", "session", "Password login; returns a session token", None, h!(session::login)),
    r("POST", "/api/v1/logout", "session", "End the current session or revoke the token used", Some(ANY_ROLE), h!(session::logout)),
    r("GET", "/api/v1/me", "session", "The caller's account", Some(ANY_ROLE), h!(session::me)),
    r("POST", "/api/v1/me/password", "session", "Change the caller's password (ends other sessions)", Some(ANY_ROLE), h!(session::change_password)),
    r("GET", "/api/v1/tokens", "session", "The caller's tokens (metadata)", Some(ANY_ROLE), h!(session::list_tokens)),
    r("POST", "/api/v1/tokens", "session", "Create a long-lived API token", Some(ANY_ROLE), h!(session::create_token)),
    r("DELETE", "/api/v1/tokens/{id}", "session", "Revoke one of the caller's tokens", Some(ANY_ROLE), h!(session::delete_token)),
    r("GET", "/api/v1/org", "org", "The caller's organisation", Some(ANY_ROLE), h!(org::get_org)),
    r("PATCH", "/api/v1/org", "org", "Rename the organisation", Some(OWNERS), h!(org::rename)),
    r("GET", "/api/v1/orgs", "org", "Every organisation of the hub (hub operators only)", Some(OWNERS), h!(org::list_orgs)),
    r("POST", "/api/v1/orgs", "org", "Create an organisation with its first site and owner (hub operators only; the owner's password is returned once)", Some(OWNERS), h!(org::create_org)),
    r("GET", "/api/v1/accounts", "accounts", "List accounts", Some(ADMINS), h!(accounts::list)),
    r("POST", "/api/v1/accounts", "accounts", "Create an account", Some(ADMINS), h!(accounts::create)),
    r("GET", "/api/v1/accounts/{id}", "accounts", "One account", Some(ADMINS), h!(accounts::get_one)),
    r("PATCH", "/api/v1/accounts/{id}", "accounts", "Change an account's role", Some(OWNERS), h!(accounts::update)),
    r("DELETE", "/api/v1/accounts/{id}", "accounts", "Delete an account", Some(OWNERS), h!(accounts::remove)),
    r("GET", "/api/v1/sites", "sites", "List sites", Some(ANY_ROLE), h!(sites::list)),
    r("POST", "/api/v1/sites", "sites", "Create a site", Some(ADMINS), h!(sites::create)),
    r("GET", "/api/v1/sites/{id}", "sites", "One site", Some(ANY_ROLE), h!(sites::get_one)),
    r("PATCH", "/api/v1/sites/{id}", "sites", "Rename a site or change its time zone", Some(ADMINS), h!(sites::update)),
    r("DELETE", "/api/v1/sites/{id}", "sites", "Delete an empty site", Some(OWNERS), h!(sites::remove)),
    r("GET", "/api/v1/locks", "locks", "List locks", Some(ANY_ROLE), h!(locks::list)),
    r("GET", "/api/v1/locks/{id}", "locks", "One lock", Some(ANY_ROLE), h!(locks::get_one)),
    r("POST", "/api/v1/locks/claim", "locks", "Claim a lock in setup mode with its setup code", Some(ADMINS), h!(locks::claim)),
    r("POST", "/api/v1/locks/{id}/reclaim", "locks", "Re-claim a lock after a factory reset (binding stale)", Some(ADMINS), h!(locks::reclaim)),
    r("POST", "/api/v1/locks/{id}/release", "locks", "Release a lock (factory reset first if online)", Some(ADMINS), h!(locks::release)),
    r("POST", "/api/v1/locks/{id}/transfer", "locks", "Transfer a lock to another organisation (factory reset, then claimable by it)", Some(OWNERS), h!(locks::transfer)),
    r("POST", "/api/v1/locks/{id}/manufacturer-reset", "locks", "Factory reset authorised by a manufacturer token (ownership verified)", Some(OWNERS), h!(locks::manufacturer_reset)),
    r("GET", "/api/v1/locks/{id}/settings", "locks", "A lock's settings (Matter names) and changes on their way", Some(ANY_ROLE), h!(settings::get)),
    r("PATCH", "/api/v1/locks/{id}/settings", "locks", "Change named lock settings: one operation the lock confirms", Some(ADMINS), h!(settings::change)),
    r("GET", "/api/v1/locks/{id}/offline-codes", "offline-codes", "A lock's offline codes: enabled, epoch, codes issued (never the digits)", Some(ANY_ROLE), h!(offline::list)),
    r("POST", "/api/v1/locks/{id}/offline-codes", "offline-codes", "Issue a time-bound code the lock checks by itself (no lock contact); the digits are returned once", Some(ADMINS), h!(offline::issue)),
    r("POST", "/api/v1/locks/{id}/offline-codes/enable", "offline-codes", "Turn offline codes on: the hub makes the lock's secret and sends it when the lock is online", Some(ADMINS), h!(offline::enable)),
    r("POST", "/api/v1/locks/{id}/offline-codes/revoke-all", "offline-codes", "Revoke every offline code of a lock: a new secret and epoch, sent when it is online", Some(ADMINS), h!(offline::revoke_all)),
    r("POST", "/api/v1/offline-codes/{id}/revoke", "offline-codes", "Revoke one offline code: a deny entry the lock gets when it is next online", Some(ADMINS), h!(offline::revoke)),
    r("POST", "/api/v1/locks/{id}/operations", "operations", "Queue a remote operation", Some(ADMINS), h!(operations::request)),
    r("GET", "/api/v1/operations", "operations", "List operations", Some(ANY_ROLE), h!(operations::list)),
    r("GET", "/api/v1/operations/{id}", "operations", "One operation", Some(ANY_ROLE), h!(operations::get_one)),
    r("GET", "/api/v1/locks/{id}/doctor", "locks", "Troubleshooting: an ordered plan for a symptom, least destructive first; ?check=STEP checks a step", Some(HISTORY), h!(doctor::doctor)),
    r("GET", "/api/v1/events", "events", "Search events by lock, kind and time", Some(HISTORY), h!(events::search)),
    r("GET", "/api/v1/alerts", "alerts", "List alerts", Some(HISTORY), h!(alerts::list)),
    r("POST", "/api/v1/alerts/{id}/ack", "alerts", "Acknowledge an alert", Some(HISTORY), h!(alerts::ack)),
    r("GET", "/api/v1/audit", "audit", "The organisation's audit trail (claims, resets, transfers)", Some(OWNERS), h!(locks::audit)),
    r("GET", "/api/v1/people", "access", "List people", Some(HISTORY), h!(access::list_people)),
    r("POST", "/api/v1/people", "access", "Add a person", Some(ADMINS), h!(access::create_person)),
    r("GET", "/api/v1/people/{id}", "access", "A person: credentials and per-door state", Some(HISTORY), h!(access::get_person)),
    r("POST", "/api/v1/people/{id}/access", "access", "Give a person access to doors with new credentials and a schedule", Some(ADMINS), h!(access::grant)),
    r("POST", "/api/v1/credentials/{id}/change-pin", "access", "Change a PIN on every door it is on (forgotten PIN)", Some(ADMINS), h!(access::change_pin)),
    r("POST", "/api/v1/credentials/{id}/replace", "access", "Replace a lost card (new uid) or PIN (given or generated) on every door it is on, same person and schedule", Some(ADMINS), h!(access::replace)),
    r("POST", "/api/v1/people/{id}/revoke", "access", "Revoke a person on some or every door (moving out)", Some(ADMINS), h!(access::revoke)),
    r("POST", "/api/v1/access/revoke-all-except-owners", "access", "Security scare: revoke everyone but the owners on every door", Some(OWNERS), h!(access::revoke_all)),
    r("GET", "/api/v1/batches/{id}", "access", "Progress and per-door results of a bulk change", Some(HISTORY), h!(access::batch)),
    r("GET", "/api/v1/locks/{id}/who-can-open", "access", "Who can open a door right now, and why", Some(HISTORY), h!(access::who_can_open)),
    r("POST", "/api/v1/locks/{id}/reenrol", "access", "Re-enrol chosen people on a reset and re-claimed lock", Some(ADMINS), h!(access::reenrol)),
    r("POST", "/api/v1/locks/{id}/holidays", "access", "Set or clear a lock-wide holiday (site local time; vacation, privacy or passage mode)", Some(ADMINS), h!(access::holiday)),
    r("POST", "/api/v1/locks/{id}/verifications", "access", "Verify a lock after a reset: self-check and every slot digest", Some(ADMINS), h!(access::start_verification)),
    r("GET", "/api/v1/verifications/{id}", "access", "A verification report (JSON, or ?format=html)", Some(HISTORY), h!(access::get_verification)),
    r("PUT", "/api/v1/locks/{id}/room", "hotel", "Make a lock a hotel door (room number, guest room or common door, floor, zone, building); queues set_hotel_door when changed", Some(ADMINS), h!(hotel::set_room)),
    r("POST", "/api/v1/locks/{id}/check-in", "hotel", "Check a guest into a room: a new stay and n card images (joiners); a later check-in overrides", Some(ADMINS), h!(hotel::check_in)),
    r("GET", "/api/v1/locks/{id}/room-history", "hotel", "A room's history: every card used at its door, with the card's holder", Some(HISTORY), h!(hotel::room_history)),
    r("GET", "/api/v1/sites/{id}/front-desk", "hotel", "The property's rooms with their newest stays", Some(HISTORY), h!(hotel::front_desk)),
    r("POST", "/api/v1/sites/{id}/staff-cards", "hotel", "Issue a staff card (master, floor, zone, building, emergency) with days, hours and dates", Some(ADMINS), h!(hotel::staff_card)),
    r("GET", "/api/v1/stays/{id}", "hotel", "A stay and every card issued for it", Some(HISTORY), h!(hotel::get_stay)),
    r("POST", "/api/v1/stays/{id}/extend", "hotel", "Extend a stay: its cards re-encoded with the later check-out", Some(ADMINS), h!(hotel::extend)),
    r("POST", "/api/v1/stays/{id}/lost-card", "hotel", "A lost card: replacements at the next generation, and deny_card queued to the room's lock", Some(ADMINS), h!(hotel::lost_card)),
    r("POST", "/api/v1/stays/{id}/check-out", "hotel", "Check a guest out now", Some(ADMINS), h!(hotel::check_out)),
    r("DELETE", "/api/v1/locks/{id}/room", "hotel", "Make a room an ordinary lock again (queues set_hotel_door with no door)", Some(ADMINS), h!(hotel::clear_room)),
    r("GET", "/api/v1/webhooks", "webhooks", "List webhook endpoints", Some(ADMINS), h!(webhooks::list)),
    r("POST", "/api/v1/webhooks", "webhooks", "Add a webhook endpoint for named events; its signing secret is returned once", Some(ADMINS), h!(webhooks::create)),
    r("GET", "/api/v1/webhooks/{id}", "webhooks", "One webhook endpoint", Some(ADMINS), h!(webhooks::get_one)),
    r("PATCH", "/api/v1/webhooks/{id}", "webhooks", "Enable or disable a webhook endpoint", Some(ADMINS), h!(webhooks::update)),
    r("DELETE", "/api/v1/webhooks/{id}", "webhooks", "Remove a webhook endpoint with its queue and log", Some(ADMINS), h!(webhooks::remove)),
    r("GET", "/api/v1/webhook-deliveries", "webhooks", "Webhook deliveries, newest first", Some(ADMINS), h!(webhooks::deliveries)),
    r("GET", "/api/v1/webhook-deliveries/{id}", "webhooks", "One delivery and its attempts", Some(ADMINS), h!(webhooks::delivery)),
    r("POST", "/api/v1/webhook-deliveries/{id}/redeliver", "webhooks", "Send a delivery again", Some(ADMINS), h!(webhooks::redeliver)),
    r("GET", "/api/v1/listings", "rentals", "List rental listings", Some(HISTORY), h!(rentals::list)),
    r("POST", "/api/v1/listings", "rentals", "Create a rental listing (doors, check-in and check-out times, zone)", Some(ADMINS), h!(rentals::create)),
    r("GET", "/api/v1/listings/{id}", "rentals", "A listing: feeds, reservations with their codes' door states, held changes", Some(HISTORY), h!(rentals::get_one)),
    r("POST", "/api/v1/listings/{id}/feeds", "rentals", "Add a reservation feed (iCal export URL)", Some(ADMINS), h!(rentals::add_feed)),
    r("POST", "/api/v1/listings/{id}/sync", "rentals", "Fetch and apply every feed of a listing now (new PINs returned once)", Some(ADMINS), h!(rentals::sync)),
    r("GET", "/api/v1/reservations/{id}/code", "rentals", "A reservation's guest PIN (kept sealed by the hub)", Some(ADMINS), h!(rentals::code)),
    r("POST", "/api/v1/rental-changes/{id}/confirm", "rentals", "Apply a held feed change (revokes the codes it drops)", Some(ADMINS), h!(rentals::confirm)),
    r("POST", "/api/v1/rental-changes/{id}/discard", "rentals", "Drop a held feed change (nothing revoked)", Some(ADMINS), h!(rentals::discard)),
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

/// The router of every entry of [`ROUTES`], each mounted at its path for
/// its method (axum merges entries that share a path).
pub fn routes() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, spec| {
        router.route(spec.path, (spec.handler)(spec.filter))
    })
}
