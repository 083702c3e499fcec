//! A fake GitHub REST API for tests and `dev --demo`: real HTTP on 127.0.0.1, in-memory data.
//!
//! Driven by the platform's real octocrab-based client, it checks what the client sends
//! (method, path, body, which token) and answers with GitHub's JSON shapes, status codes and
//! rate-limit headers, including injected failures ([`Fault`]). Repositories hold files (one tree
//! per repository with blob shas, and the blobs), read through the Git database API.

mod files;
mod gate;
mod hooks;
mod json;
mod pulls;
mod route;
mod secrets;
mod server;
mod state;

pub use hooks::StoredHook;
pub use server::{
    Auth, BOT_LOGIN, FakeGitHub, Fault, HUMAN_LOGIN, PLATFORM_LOGIN, RecordedRequest,
};
