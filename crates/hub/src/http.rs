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

/// The whole HTTP application; test it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    crate::api::routes()
        .merge(crate::web::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            durable_answers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}
