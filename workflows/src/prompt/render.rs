//! Rendering: the role body with the run's context, wrapped in the locale's envelope.
//!
//! minijinja runs in strict undefined mode, so a misspelt variable is an error, never an empty
//! string. Templates see only the serialized [`PromptContext`] (plus derived `write_scope` and the
//! rendered `task` in the envelope) and can include only embedded seeds: no environment variables,
//! no files, no functions that reach outside. The context's values are data, never template code.

use std::sync::LazyLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::context::PromptContext;
use super::error::{Error, Result};
use super::kind::{Kind, WriteScope};
use super::locale::Locale;
use super::lookup::{Source, Template};
use super::sample::{first_stage, sample_context};
use super::secret;
use super::seed::{SeedTable, envelope_path};
use crate::policy::Role;

/// Longest override body accepted, in characters (the table's check says the same).
pub(crate) const MAX_BODY_CHARS: usize = 65_536;

/// A prompt ready to hand to the agent, with what it was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedPrompt {
    /// The prompt.
    pub text: String,
    /// Which template the role body came from; record it on the run for audit.
    pub source: Source,
    /// The locale of the role body (English when the effective locale had none).
    pub locale: Locale,
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Block tags on lines of their own leave no blank lines behind in the Markdown.
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_loader(|name| Ok(SeedTable::EMBEDDED.get(name)));
    env
});

/// Renders `template` (the role body) for the run described by `ctx`, inside the envelope of
/// the run's locale.
///
/// Fails on any undefined variable, and when the result looks like it contains a credential
/// (an override body can hold anything its author pasted).
pub fn render(template: &Template, ctx: &PromptContext) -> Result<RenderedPrompt> {
    let mut view = view(ctx);
    let task = ENV
        .render_str(&template.body, to_value(view.clone()))
        .map_err(failed("task"))?;
    view.insert("task".to_owned(), Json::String(task));
    let name = envelope_path(ctx.locale);
    let text = ENV
        .get_template(&name)
        .and_then(|envelope| envelope.render(to_value(view)))
        .map_err(failed(&name))?;
    let text = tidy(&text);
    if let Some(kind) = secret::find(&text) {
        return Err(Error::SecretInOutput { kind });
    }
    Ok(RenderedPrompt {
        text,
        source: template.source,
        locale: template.locale,
    })
}

/// Checks an override body before it is stored: not empty, not too large, no credential, and it
/// renders for `role` and `kind` with a full sample context, with and without a pull request.
pub fn validate_body(role: Role, kind: Kind, body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(Error::EmptyBody);
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::BodyTooLarge {
            max: MAX_BODY_CHARS,
        });
    }
    if let Some(kind) = secret::find(body) {
        return Err(Error::SecretLike { kind });
    }
    let template = Template {
        body: body.to_owned().into(),
        source: Source::RepoSeed,
        locale: Locale::FALLBACK,
    };
    let mut ctx = sample_context(role, kind, first_stage(role), Locale::FALLBACK);
    render(&template, &ctx)?;
    ctx.pull_request = None;
    ctx.learning_mode = true;
    render(&template, &ctx).map(drop)
}

/// What templates see: the context's fields, with `stage` as its label slug and `write_scope`.
fn view(ctx: &PromptContext) -> serde_json::Map<String, Json> {
    let mut view = match serde_json::to_value(ctx) {
        Ok(Json::Object(map)) => map,
        // Every field serializes to JSON; a struct always becomes an object.
        _ => serde_json::Map::new(),
    };
    let stage = ctx.stage.map(|s| s.spec().slug);
    view.insert("stage".to_owned(), stage.map_or(Json::Null, Json::from));
    let scope = WriteScope::for_run(ctx.role, ctx.kind, ctx.stage);
    view.insert("write_scope".to_owned(), serde_json::json!(scope));
    view
}

/// Converts JSON into a template value (the minijinja `serde` feature is off in this workspace).
fn to_value(json: impl Into<Json>) -> Value {
    match json.into() {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::from(u),
            (_, Some(i)) => Value::from(i),
            _ => Value::from(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::from(s),
        Json::Array(items) => items.into_iter().map(to_value).collect(),
        Json::Object(map) => Value::from_pairs(map.into_iter().map(|(k, v)| (k, to_value(v)))),
    }
}

fn failed(template: &str) -> impl FnOnce(minijinja::Error) -> Error {
    let template = template.to_owned();
    move |source| Error::Render { template, source }
}

/// Trims trailing spaces, collapses runs of blank lines into one and ends with one newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = true;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && blank {
            continue;
        }
        blank = line.is_empty();
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests;
