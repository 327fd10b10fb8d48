//! The web app at `/`: pages rendered on the server with maud, made live
//! with htmx (vendored in `crates/hub/assets`, served by the hub) and
//! server-sent events. Nothing to install or build for a user, no Node
//! toolchain for a developer.
//!
//! Every handler goes through the same [`crate::service`] use cases as the
//! API, with the caller's [`Principal`] taken from the session cookie
//! ([`Web`]), so roles and organisation scope are the API's. Forms are
//! plain HTML forms (they work without script) answered by a redirect
//! ("post, redirect, get"); htmx swaps fragments where a page updates in
//! place.
//!
//! Security: the session cookie is `HttpOnly; SameSite=Strict` (and
//! `Secure` when the hub is told it is served over TLS); every request
//! that is not GET/HEAD passes [`csrf::guard`] (a token derived from the
//! session, in a form field or the `X-CSRF-Token` header htmx sends), and
//! every string a user typed is escaped by maud.
//!
//! Files, by family:
//! - frame: [`page`] (shell, error page, badges), [`csrf`], [`assets`],
//!   [`live`] (the event stream), [`session`] (sign in and out, password,
//!   API tokens);
//! - locks: [`dashboard`], [`lock`] (overview, lock/unlock), [`lock_common`]
//!   (the frame of a lock's pages), [`lock_history`], [`lock_access`],
//!   [`lock_settings`], [`lock_offline`] (codes that work offline), [`doctor`], [`reset`], [`recover`] (the wizard after
//!   a reset) and [`recover_report`] (the verification report);
//! - people and access: [`people`], [`grant`] (with the schedule builder),
//!   [`access_batch`] (a change's doors, live), [`access_credentials`]
//!   (change a PIN, replace a card, revoke), [`access_admin`] (revoke
//!   everyone but owners, holidays), [`access_form`] (shared form parts);
//! - hotels: [`front_desk`] (rooms and stays, check-in with card downloads,
//!   extend, check-out, lost and staff cards), [`room_history`];
//! - rentals: [`rentals`] (listings, a listing's calendars, reservations and
//!   their codes, held changes);
//! - the organisation: [`alerts`], [`audit`], [`admin`], [`admin_sites`],
//!   [`admin_accounts`], [`admin_orgs`], [`webhooks`] (endpoints, deliveries).
//!
//! [`WEB_ROUTES`] lists every page with the roles it admits, as
//! [`crate::api::ROUTES`] does for the API; the authorisation test
//! (`tests/it/web_admin.rs`) walks it.

pub mod access_admin;
pub mod access_batch;
pub mod access_credentials;
pub mod access_form;
pub mod admin;
pub mod admin_accounts;
pub mod admin_orgs;
pub mod admin_sites;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod csrf;
pub mod dashboard;
pub mod doctor;
pub mod front_desk;
pub mod grant;
pub mod live;
pub mod lock;
pub mod lock_access;
pub mod lock_common;
pub mod lock_history;
pub mod lock_offline;
pub mod lock_settings;
pub mod page;
pub mod people;
pub mod recover;
pub mod recover_report;
pub mod rentals;
pub mod reset;
pub mod room_history;
pub mod session;
pub mod webhooks;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;

use crate::api::{ApiError, AppState};
use crate::service::{Principal, Roles, ServiceError, ADMINS, ANY_ROLE, HISTORY, OWNERS};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tumbler_session";

/// The signed-in caller of a page: who (from the session cookie), the
/// session's CSRF token for the forms the page renders, and whether the
/// request came from htmx (answer a fragment, not a page).
#[derive(Debug, Clone)]
pub struct Web {
    /// The caller, as the service layer knows it.
    pub p: Principal,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// Sent by htmx (`HX-Request`).
    pub htmx: bool,
}

/// The session token in a request's `Cookie` header, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

impl FromRequestParts<AppState> for Web {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let htmx = is_htmx(&parts.headers);
        let sign_in = || WebError::SignIn {
            next: parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            htmx,
        };
        let token = session_token(&parts.headers).ok_or_else(sign_in)?;
        let p = match state.service.authenticate(&token).await {
            Ok(p) => p,
            Err(ServiceError::Unauthenticated) => return Err(sign_in()),
            Err(e) => return Err(WebError::from(e)),
        };
        Ok(Web {
            p,
            csrf: csrf::token_for(&token),
            htmx,
        })
    }
}

/// Why a page could not be served.
#[derive(Debug)]
pub enum WebError {
    /// No valid session: go and sign in, then come back to `next`.
    SignIn {
        /// Where to return after signing in (a local path).
        next: String,
        /// An htmx request: redirect the whole page, not a fragment.
        htmx: bool,
    },
    /// Any other failure, shown as a page with the API's status and text.
    Page(ApiError),
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        WebError::Page(ApiError::from(e))
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Page(e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next, htmx } => {
                let to = format!("/login?next={}", page::url_encode(&next));
                if htmx {
                    (StatusCode::OK, [("HX-Redirect", to)]).into_response()
                } else {
                    Redirect::to(&to).into_response()
                }
            }
            WebError::Page(e) => {
                let status = e.status;
                let mut res = (status, page::error_page(&e)).into_response();
                if let Some(s) = e.retry_after {
                    if let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string()) {
                        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                    }
                }
                res
            }
        }
    }
}

impl From<axum::extract::rejection::FormRejection> for WebError {
    fn from(e: axum::extract::rejection::FormRejection) -> Self {
        WebError::Page(ApiError::invalid(format!(
            "the form is incomplete or malformed: {}",
            e.body_text()
        )))
    }
}

impl From<axum::extract::rejection::PathRejection> for WebError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        WebError::Page(ApiError::from(e))
    }
}

impl From<axum::extract::rejection::QueryRejection> for WebError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        WebError::Page(ApiError::from(e))
    }
}

/// A submitted form (URL-encoded); a malformed one is answered with an
/// error page (400), never axum's plain text.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(WebError))]
pub struct Form<T>(pub T);

/// A path parameter; a malformed one is an error page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WebError))]
pub struct WebPath<T>(pub T);

/// A query string; a malformed one is an error page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(WebError))]
pub struct WebQuery<T>(pub T);

/// A page's result.
pub type WebResult<T = Response> = Result<T, WebError>;

/// One page or form target: method, path, who may use it, handler.
#[derive(Debug, Clone, Copy)]
pub struct WebRoute {
    /// HTTP method, upper case (`GET` or `POST`).
    pub method: &'static str,
    /// Path with `{param}` placeholders.
    pub path: &'static str,
    /// Roles admitted (the service checks them; this table lets the test
    /// know what to expect); `None` for public pages.
    pub roles: Option<Roles>,
    filter: MethodFilter,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl WebRoute {
    /// True if the route changes state.
    pub fn mutating(&self) -> bool {
        self.method != "GET"
    }
}

const fn w(
    method: &'static str,
    path: &'static str,
    roles: Option<Roles>,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> WebRoute {
    let filter = match method.as_bytes() {
        b"GET" => MethodFilter::GET,
        _ => MethodFilter::POST,
    };
    WebRoute {
        method,
        path,
        roles,
        filter,
        handler,
    }
}

macro_rules! h {
    ($handler:path) => {
        |m| axum::routing::on(m, $handler)
    };
}

/// Every page and form target of the web app.
#[rustfmt::skip]
pub const WEB_ROUTES: &[WebRoute] = &[
    w("GET", "/login", None, h!(session::login_page)),
    w("POST", "/login", None, h!(session::login)),
    w("POST", "/logout", Some(ANY_ROLE), h!(session::logout)),
    w("GET", "/account", Some(ANY_ROLE), h!(session::account_page)),
    w("POST", "/account/password", Some(ANY_ROLE), h!(session::change_password)),
    w("POST", "/account/tokens", Some(ANY_ROLE), h!(session::create_token)),
    w("POST", "/account/tokens/{id}/revoke", Some(ANY_ROLE), h!(session::revoke_token)),
    w("GET", "/", Some(ANY_ROLE), h!(dashboard::dashboard)),
    w("GET", "/live", Some(ANY_ROLE), h!(live::stream)),
    w("GET", "/locks/{id}", Some(ANY_ROLE), h!(lock::lock_page)),
    w("GET", "/locks/{id}/state", Some(ANY_ROLE), h!(lock::state_fragment)),
    w("GET", "/locks/{id}/row", Some(ANY_ROLE), h!(dashboard::row_fragment)),
    w("GET", "/locks/{id}/ops", Some(ANY_ROLE), h!(lock::ops_fragment)),
    w("POST", "/locks/{id}/operate", Some(ADMINS), h!(lock::operate)),
    // -- a lock's other pages --
    w("GET", "/locks/{id}/history", Some(HISTORY), h!(lock_history::history_page)),
    w("GET", "/locks/{id}/access", Some(HISTORY), h!(lock_access::access_page)),
    w("GET", "/locks/{id}/settings", Some(ANY_ROLE), h!(lock_settings::settings_page)),
    w("POST", "/locks/{id}/settings", Some(ADMINS), h!(lock_settings::change_settings)),
    w("GET", "/locks/{id}/offline-codes", Some(ANY_ROLE), h!(lock_offline::offline_page)),
    w("POST", "/locks/{id}/offline-codes/enable", Some(ADMINS), h!(lock_offline::enable)),
    w("POST", "/locks/{id}/offline-codes/issue", Some(ADMINS), h!(lock_offline::issue)),
    w("POST", "/locks/{id}/offline-codes/revoke", Some(ADMINS), h!(lock_offline::revoke)),
    w("POST", "/locks/{id}/offline-codes/revoke-all", Some(ADMINS), h!(lock_offline::revoke_all)),
    w("GET", "/locks/{id}/doctor", Some(HISTORY), h!(doctor::doctor_page)),
    w("GET", "/locks/{id}/reset", Some(ADMINS), h!(reset::reset_page)),
    w("GET", "/locks/{id}/reset/confirm", Some(ADMINS), h!(reset::confirm)),
    w("POST", "/locks/{id}/reset/factory", Some(ADMINS), h!(reset::factory)),
    w("POST", "/locks/{id}/reset/release", Some(ADMINS), h!(reset::release)),
    w("POST", "/locks/{id}/reset/transfer", Some(OWNERS), h!(reset::transfer)),
    w("POST", "/locks/{id}/reset/manufacturer", Some(OWNERS), h!(reset::manufacturer)),
    w("GET", "/locks/{id}/recover", Some(ADMINS), h!(recover::recover_page)),
    w("POST", "/locks/{id}/recover/reclaim", Some(ADMINS), h!(recover::reclaim)),
    w("POST", "/locks/{id}/recover/reenrol", Some(ADMINS), h!(recover::reenrol)),
    w("POST", "/locks/{id}/recover/verify", Some(ADMINS), h!(recover::verify)),
    w("GET", "/verifications/{id}", Some(HISTORY), h!(recover_report::report_page)),
    w("GET", "/verifications/{id}/report", Some(HISTORY), h!(recover_report::report_fragment)),
    w("GET", "/verifications/{id}/print", Some(HISTORY), h!(recover_report::print)),
    // -- people and access --
    w("GET", "/people", Some(HISTORY), h!(people::people_page)),
    w("POST", "/people", Some(ADMINS), h!(people::create_person)),
    w("GET", "/people/{id}", Some(HISTORY), h!(people::person_page)),
    w("GET", "/people/{id}/grant", Some(ADMINS), h!(grant::grant_page)),
    w("POST", "/people/{id}/grant", Some(ADMINS), h!(grant::grant)),
    w("POST", "/people/{id}/revoke", Some(ADMINS), h!(access_credentials::revoke)),
    w("POST", "/credentials/{id}/change-pin", Some(ADMINS), h!(access_credentials::change_pin)),
    w("POST", "/credentials/{id}/replace", Some(ADMINS), h!(access_credentials::replace)),
    w("GET", "/batches/{id}", Some(HISTORY), h!(access_batch::batch)),
    w("GET", "/batches/{id}/doors", Some(HISTORY), h!(access_batch::doors_fragment)),
    w("GET", "/access/revoke-all", Some(OWNERS), h!(access_admin::revoke_all_page)),
    w("POST", "/access/revoke-all", Some(OWNERS), h!(access_admin::revoke_all)),
    w("GET", "/holidays", Some(ADMINS), h!(access_admin::holidays_page)),
    w("POST", "/holidays", Some(ADMINS), h!(access_admin::set_holidays)),
    w("GET", "/sites/{id}/front-desk", Some(HISTORY), h!(front_desk::desk_page)),
    w("POST", "/sites/{id}/staff-cards", Some(ADMINS), h!(front_desk::staff_card)),
    w("POST", "/locks/{id}/check-in", Some(ADMINS), h!(front_desk::check_in)),
    w("GET", "/locks/{id}/room-history", Some(HISTORY), h!(room_history::room_history_page)),
    w("POST", "/stays/{id}/extend", Some(ADMINS), h!(front_desk::extend)),
    w("POST", "/stays/{id}/lost-card", Some(ADMINS), h!(front_desk::lost_card)),
    w("POST", "/stays/{id}/check-out", Some(ADMINS), h!(front_desk::check_out)),
    // -- alerts, audit, admin --
    w("GET", "/rentals", Some(HISTORY), h!(rentals::rentals_page)),
    w("POST", "/rentals", Some(ADMINS), h!(rentals::create)),
    w("GET", "/rentals/{id}", Some(HISTORY), h!(rentals::listing_page)),
    w("POST", "/rentals/{id}/feeds", Some(ADMINS), h!(rentals::add_feed)),
    w("POST", "/rentals/{id}/sync", Some(ADMINS), h!(rentals::sync)),
    w("GET", "/reservations/{id}/code", Some(ADMINS), h!(rentals::code_page)),
    w("POST", "/rental-changes/{id}/confirm", Some(ADMINS), h!(rentals::confirm)),
    w("POST", "/rental-changes/{id}/discard", Some(ADMINS), h!(rentals::discard)),
    w("GET", "/alerts", Some(HISTORY), h!(alerts::alerts_page)),
    w("GET", "/alerts/list", Some(HISTORY), h!(alerts::list_fragment)),
    w("POST", "/alerts/{id}/ack", Some(HISTORY), h!(alerts::ack)),
    w("GET", "/audit", Some(OWNERS), h!(audit::audit_page)),
    w("GET", "/admin", Some(ANY_ROLE), h!(admin::admin_page)),
    w("POST", "/admin/org", Some(OWNERS), h!(admin::rename_org)),
    w("POST", "/admin/sites", Some(ADMINS), h!(admin_sites::create)),
    w("POST", "/admin/sites/{id}", Some(ADMINS), h!(admin_sites::update)),
    w("POST", "/admin/sites/{id}/delete", Some(OWNERS), h!(admin_sites::delete)),
    w("POST", "/admin/accounts", Some(ADMINS), h!(admin_accounts::create)),
    w("POST", "/admin/accounts/{id}/role", Some(OWNERS), h!(admin_accounts::set_role)),
    w("POST", "/admin/accounts/{id}/delete", Some(OWNERS), h!(admin_accounts::delete)),
    // Hub operators only (the service checks the operator flag too).
    w("POST", "/admin/orgs", Some(OWNERS), h!(admin_orgs::create)),
    // -- webhooks --
    w("GET", "/webhooks", Some(ADMINS), h!(webhooks::webhooks_page)),
    w("POST", "/webhooks", Some(ADMINS), h!(webhooks::create)),
    w("POST", "/webhooks/{id}/enabled", Some(ADMINS), h!(webhooks::set_enabled)),
    w("POST", "/webhooks/{id}/delete", Some(ADMINS), h!(webhooks::delete)),
    w("POST", "/webhook-deliveries/{id}/redeliver", Some(ADMINS), h!(webhooks::redeliver)),

];

/// The web app's router: [`WEB_ROUTES`], the assets, the CSRF guard.
pub fn routes() -> Router<AppState> {
    WEB_ROUTES
        .iter()
        .fold(Router::new(), |router, spec| {
            router.route(spec.path, (spec.handler)(spec.filter))
        })
        .route("/assets/{name}", axum::routing::get(assets::serve))
        .layer(axum::middleware::from_fn(csrf::guard))
}
