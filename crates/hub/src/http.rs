//! The whole HTTP application: the API ([`crate::api`]) and the web app
//! ([`crate::web`]) on one router, with what they share — the fallback for
//! unknown paths, the 405 answer, durable answers to changes, the body limit.

use axum::Router;

use crate::api::{ApiError, AppState};

/// No such route: a problem document for programs, the web app's
/// not-found page for a browser (it asks for HTML) outside `/api`.
async fn fallback(req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let html = req
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if html && !req.uri().path().starts_with("/api/") {
        return crate::web::WebError::Page(ApiError::not_found()).into_response();
    }
    ApiError::not_found().into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this path does not accept that method",
    )
}

/// Answers to a change (any method but GET, HEAD and OPTIONS) leave only
/// once what the handler committed is on disk ([`crate::store::Store::durable`]):
/// a user is never told of a change a power cut can take back.
async fn durable_answers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if safe {
        return res;
    }
    match state.service.store().durable().await {
        Ok(()) => res,
        Err(e) => {
            tracing::error!(error = %e, "could not make a change durable");
            axum::response::IntoResponse::into_response(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "Storage unavailable",
                "the change may not have reached the disk; check it and retry",
            ))
        }
    }
}

/// Every answer's latency, by route template ([`axum::extract::MatchedPath`]:
/// `/api/v1/locks/{id}`, never the concrete path), including the wait for
/// the disk ([`durable_answers`] runs inside it). A route layer: paths that
/// match no route are not counted (a scanner cannot make series).
async fn latency(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unknown".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let started = tokio::time::Instant::now();
    let res = next.run(req).await;
    state.service.plane().metrics().http_request(
        method.as_str(),
        &route,
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// The request-id header (taken from the caller if well-formed, else made).
pub const REQUEST_ID: &str = "x-request-id";

/// Gives every request an id: the caller's `X-Request-Id` if acceptable
/// ([`crate::observe::acceptable_request_id`]), else 16 random hex digits.
/// Every log line while it is served carries it (span `request`), an
/// operation it queues is stored with it, and the answer returns it.
async fn request_id(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let given = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| crate::observe::acceptable_request_id(v));
    let id: std::sync::Arc<str> = match given {
        Some(v) => v.into(),
        None => {
            let mut raw = [0u8; 8];
            // Without OS randomness the id is still unique enough for logs.
            let _ = crate::secrets::random_bytes(&mut raw);
            raw.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into()
        }
    };
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = crate::observe::with_request_id(id.clone(), next.run(req))
        .instrument(span)
        .await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// The whole HTTP application; test it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    crate::api::routes()
        .merge(crate::web::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        // Route layers (the later one outside): only matched routes change
        // anything, and only they have a template to count under.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            durable_answers,
        ))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), latency))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(request_id))
        .with_state(state)
}
