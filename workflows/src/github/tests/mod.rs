//! The real octocrab-based client driven against the fake GitHub over HTTP.

mod credential;
mod failure;
mod files;
mod operation;
mod support;
mod upsert;
