//! The gate in front of every endpoint: records the request, checks the token, serves armed faults.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::json;
use super::route::reply;
use super::server::{Auth, BOT_LOGIN, Fault, PLATFORM_LOGIN, RecordedRequest, Shared};

const MAX_BODY: usize = 1 << 20;

/// Records every request, answers 401 without a known token, then serves an armed fault or the route.
pub(super) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, json::error("Body too large"));
    };
    let auth = authenticate(&shared, &parts.headers);
    let fault = {
        let mut state = shared.lock();
        state.record(RecordedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            auth,
        });
        match auth {
            Auth::Platform | Auth::Bot => state.take_fault(&parts.method, parts.uri.path()),
            Auth::Unknown | Auth::Missing => None,
        }
    };
    match auth {
        Auth::Missing => {
            return reply(
                StatusCode::UNAUTHORIZED,
                json::error("Requires authentication"),
            );
        }
        Auth::Unknown => {
            return reply(StatusCode::UNAUTHORIZED, json::error("Bad credentials"));
        }
        Auth::Platform | Auth::Bot => {}
    }
    let lost = match fault {
        Some(Fault::Stall(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        Some(Fault::AnswerLost(code)) => Some(code),
        Some(fault) => return fault_response(&fault),
        None => None,
    };
    parts.extensions.insert(auth);
    let served = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    match lost {
        Some(code) => fault_response(&Fault::ServerError(code)),
        None => served,
    }
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Auth {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Auth::Missing;
    };
    let value = value.to_str().unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("token "))
        .unwrap_or_default();
    if token == shared.platform_token {
        Auth::Platform
    } else if token == shared.bot_token {
        Auth::Bot
    } else {
        Auth::Unknown
    }
}

pub(super) fn login(auth: Auth) -> &'static str {
    if auth == Auth::Platform {
        PLATFORM_LOGIN
    } else {
        BOT_LOGIN
    }
}

fn fault_response(fault: &Fault) -> Response {
    const SECONDARY: &str =
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
    let secs = |d: &Duration| d.as_secs_f64().ceil().to_string();
    let (status, message, headers): (StatusCode, &str, Vec<(&str, String)>) = match fault {
        Fault::ServerError(code) | Fault::AnswerLost(code) => (
            StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "Server Error",
            Vec::new(),
        ),
        Fault::RateLimitPrimary { reset_in } => {
            let reset = chrono::Utc::now().timestamp()
                + i64::try_from(reset_in.as_secs()).unwrap_or(i64::MAX / 2);
            let headers = vec![
                ("x-ratelimit-limit", "5000".to_owned()),
                ("x-ratelimit-remaining", "0".to_owned()),
                ("x-ratelimit-used", "5000".to_owned()),
                ("x-ratelimit-reset", reset.to_string()),
                ("x-ratelimit-resource", "core".to_owned()),
            ];
            (
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for user ID 10000001.",
                headers,
            )
        }
        Fault::RateLimitSecondary { retry_after } => {
            let headers = retry_after
                .iter()
                .map(|d| ("retry-after", secs(d)))
                .collect();
            (StatusCode::FORBIDDEN, SECONDARY, headers)
        }
        Fault::TooManyRequests { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            SECONDARY,
            vec![("retry-after", secs(retry_after))],
        ),
        Fault::BadCredentials => (StatusCode::UNAUTHORIZED, "Bad credentials", Vec::new()),
        Fault::Stall(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server Error",
            Vec::new(),
        ),
    };
    let mut response = reply(status, json::error(message));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
