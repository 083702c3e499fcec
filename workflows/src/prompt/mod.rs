//! Prompt templates: what each agent is told, in its locale.
//!
//! A role body (`prompts/<locale>/<role>-<kind>.md`, embedded in the binary) can be overridden per
//! project or system-wide by versioned rows in `prompt_templates` ([`store`]).
//! [`store::effective`] picks the body (project override → system override → repo seed, in the
//! effective locale, then in English), and [`render`] wraps it in the locale's envelope (identity,
//! runtime, rules, MCP tools, completion contract, learning block), which nothing overrides.
//! See `prompts/README.md` for the variables templates see.

mod context;
mod error;
mod kind;
mod learning;
mod locale;
mod lookup;
mod render;
mod sample;
mod secret;
mod seed;
pub mod store;
mod text;
mod version;

pub use context::{IssueRef, McpTool, PromptContext, PullRequestRef};
pub use error::{Error, Result};
pub use kind::{Completion, Kind, WriteScope};
pub use learning::{LEARNING_MODE_DEFAULT_KEY, learning_mode, parse_learning_default};
pub use locale::Locale;
pub use lookup::{Source, Template};
pub use render::{RenderedPrompt, render, validate_body};
pub use seed::seed;
pub use text::SafeText;
pub use version::{Key, Scope, Version};
