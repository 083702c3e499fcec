//! One request through `git http-backend` (CGI/1.1): environment in, headers and body out.

use std::{path::Path, process::Stdio, time::Duration};

use axum::{
    body::Body,
    http::{HeaderName, HeaderValue, StatusCode},
    response::Response,
};
use tokio::io::AsyncWriteExt;

/// Longest a single backend request may take.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(60);

/// What the CGI needs from the HTTP request.
pub(super) struct CgiRequest<'a> {
    pub(super) method: &'a str,
    pub(super) path_info: &'a str,
    pub(super) query: &'a str,
    pub(super) content_type: Option<&'a str>,
    pub(super) content_encoding: Option<&'a str>,
    pub(super) git_protocol: Option<&'a str>,
    pub(super) remote_user: &'a str,
    pub(super) body: &'a [u8],
}

/// The path of `git http-backend` (under `git --exec-path`).
pub(super) fn backend_path() -> std::io::Result<std::path::PathBuf> {
    let out = std::process::Command::new("git")
        .arg("--exec-path")
        .output()?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(Path::new(&dir).join("git-http-backend"))
}

/// Runs the backend for one request under `root` and turns its CGI answer into a response.
pub(super) async fn serve(
    backend: &Path,
    root: &Path,
    req: &CgiRequest<'_>,
) -> Result<Response, String> {
    let mut cmd = tokio::process::Command::new(backend);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("REQUEST_METHOD", req.method)
        .env("PATH_INFO", req.path_info)
        .env("QUERY_STRING", req.query)
        .env("REMOTE_USER", req.remote_user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(t) = req.content_type {
        cmd.env("CONTENT_TYPE", t);
    }
    if let Some(e) = req.content_encoding {
        cmd.env("HTTP_CONTENT_ENCODING", e);
    }
    if let Some(p) = req.git_protocol {
        cmd.env("GIT_PROTOCOL", p);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("start http-backend: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let body = req.body.to_vec();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
        let _ = stdin.shutdown().await;
    });
    let out = tokio::time::timeout(BACKEND_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| "http-backend timed out".to_owned())?
        .map_err(|e| format!("http-backend: {e}"))?;
    let _ = writer.await;
    parse_cgi(&out.stdout).ok_or_else(|| {
        format!(
            "http-backend answered no CGI headers: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn parse_cgi(out: &[u8]) -> Option<Response> {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))?;
    let (head, body) = (&out[..split.0], &out[split.0 + split.1..]);
    let mut builder = Response::builder().status(StatusCode::OK);
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next()?.parse::<u16>().ok()?;
            builder = builder.status(StatusCode::from_u16(code).ok()?);
        } else if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(n, v);
        }
    }
    builder.body(Body::from(body.to_vec())).ok()
}
