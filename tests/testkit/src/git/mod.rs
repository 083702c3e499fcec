//! A real git server on 127.0.0.1 for tests and `dev --demo`: Debian's `git http-backend` (the
//! smart HTTP protocol, as a CGI) behind a small axum server with HTTP basic auth.
//!
//! The server holds bare repositories it creates (each with an initial commit on `main`), accepts
//! only the tokens a test grants (read, or read and write), and records every fetch and push with
//! the name of the grant that authenticated it, so a test proves which credential a client used.

mod backend;
mod server;

pub use server::{Access, Fetch, GitServer, Push, RefUpdate};
