//! JSON-RPC framing checks in front of the MCP library, where its answers differ from the
//! specification: a body that is not JSON gets a JSON-RPC parse error (-32700, HTTP 400) instead of
//! a plain-text HTTP error, and a `tools/call` whose `arguments` is present but not an object gets
//! invalid params (-32602) instead of method-not-found. Everything else passes through unchanged.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

/// Largest MCP request body.
pub(crate) const MAX_MCP_BODY: usize = 1 << 20;

/// JSON-RPC: invalid JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: invalid method parameters.
const INVALID_PARAMS: i64 = -32602;

/// The middleware: checks POST bodies, then hands the request on with its bytes.
pub(crate) async fn check(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_MCP_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return crate::api::ApiError::TooLarge(MAX_MCP_BODY).into_response();
        }
    };
    if let Some(refusal) = refusal(&bytes) {
        return refusal;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The JSON-RPC error answer for a body that breaks the framing, if it does.
fn refusal(bytes: &[u8]) -> Option<Response> {
    let message: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let error = rpc_error(Value::Null, PARSE_ERROR, format!("Parse error: {e}"));
            return Some(answer(StatusCode::BAD_REQUEST, error));
        }
    };
    let is_call = message.get("method").and_then(Value::as_str) == Some("tools/call");
    let arguments = message.get("params").and_then(|p| p.get("arguments"));
    match arguments {
        Some(a) if is_call && !a.is_object() && !a.is_null() => {
            let id = message.get("id").cloned().unwrap_or(Value::Null);
            let error = rpc_error(
                id,
                INVALID_PARAMS,
                "Invalid params: tools/call arguments must be an object".into(),
            );
            Some(answer(StatusCode::OK, error))
        }
        _ => None,
    }
}

fn rpc_error(id: Value, code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn invalid_json_is_a_parse_error_and_non_object_arguments_are_invalid_params() {
        let (status, body) = read(refusal(b"{not json").unwrap()).await;
        assert_eq!((status, &body["error"]["code"]), (400, &json!(-32700)));
        assert_eq!(body["id"], Value::Null);
        for arguments in [json!("x"), json!([1]), json!(3)] {
            let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "run_status_report", "arguments": arguments}});
            let (status, body) = read(refusal(call.to_string().as_bytes()).unwrap()).await;
            assert_eq!((status, &body["error"]["code"]), (200, &json!(-32602)));
            assert_eq!(body["id"], 7);
        }
        let fine = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "run_status_report", "arguments": {"status": "ok"}}});
        assert!(refusal(fine.to_string().as_bytes()).is_none());
        let listing = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        assert!(refusal(listing.to_string().as_bytes()).is_none());
    }
}
