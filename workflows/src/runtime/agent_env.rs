//! The environment an agent starts with: nothing of the worker's but an explicit allow-list.
//!
//! A worker holds every platform secret (`DATABASE_URL`, the GitHub tokens, the webhook and
//! approver secrets, the token vault keys); an agent is untrusted code working for one run. So an
//! agent starts from an empty environment, gets the few variables of the worker named in
//! [`INHERITED`] (when set), the model API key variable named by `CK8S_MODEL_API_KEY_ENV` (unless
//! it names a platform variable), a `HOME` and `TMPDIR` of its own inside its run directory, the
//! run metadata (with `TRACEPARENT`, the launching step's trace context: not a secret, it names
//! only a trace and a span), and what the agent command and the run configure explicitly.

use std::path::Path;

use super::{AgentCommand, AgentSpec, RuntimeError};

/// Variables copied from the worker's environment into every agent's, when set: the program
/// search path, the locale, and the model provider settings the agent runner reads
/// (`workers/src/cmd/agent_runner/settings.rs`), and where the agent exports its trace spans (the
/// OTLP endpoints and service name; never `OTEL_EXPORTER_OTLP_HEADERS`, which may carry a
/// collector's credentials). Nothing else of the worker's reaches an agent.
pub const INHERITED: &[&str] = &[
    "PATH",
    "LANG",
    "LC_ALL",
    "CK8S_MODEL_BASE_URL",
    "CK8S_MODEL_API_KEY_ENV",
    "CK8S_CODEX_BIN",
    "CK8S_CODEX_LOG",
    "CK8S_MCP_TOOL_TIMEOUT_SECS",
    "CK8S_HEARTBEAT_SECS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SERVICE_NAME",
];

/// The variable carrying the launching step's W3C trace context to the agent (ADR 0023).
pub const TRACEPARENT: &str = "TRACEPARENT";

/// `PATH` of an agent whose worker has none.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The variable naming the model API key variable (see [`INHERITED`]).
const API_KEY_ENV: &str = "CK8S_MODEL_API_KEY_ENV";

/// Whether `name` is one of the platform's own variables, which an agent never gets from the
/// worker (the model API key variable may not name one).
fn is_platform_variable(name: &str) -> bool {
    name.starts_with("CK8S_") || name.starts_with("DATABASE_") || name.starts_with("PG")
}

/// The variables an agent gets from the worker's environment (read through `lookup`): those in
/// [`INHERITED`] and the model API key variable, with a default `PATH`. Fails when
/// `CK8S_MODEL_API_KEY_ENV` names a platform variable (that would hand the agent a secret).
pub fn inherited(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, RuntimeError> {
    let mut env: Vec<(String, String)> = INHERITED
        .iter()
        .filter_map(|name| lookup(name).map(|v| ((*name).to_owned(), v)))
        .collect();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    if let Some(key_var) = lookup(API_KEY_ENV).filter(|v| !v.trim().is_empty()) {
        let key_var = key_var.trim().to_owned();
        if is_platform_variable(&key_var) {
            return Err(RuntimeError::Launch(format!(
                "{API_KEY_ENV} names {key_var}, a platform variable no agent may receive"
            )));
        }
        if let Some(value) = lookup(&key_var) {
            env.push((key_var, value));
        }
    }
    Ok(env)
}

/// The whole environment of an agent with its run directory `dir`: the [`inherited`] variables,
/// `HOME` (`<dir>/home`) and `TMPDIR` (`<dir>/tmp`), then `fixed` (run metadata, the agent
/// command's configured variables, the run's token and platform URL) in order, later ones
/// winning. Callers start the process with `env_clear()` and exactly these.
pub fn build(
    lookup: impl Fn(&str) -> Option<String>,
    dir: &Path,
    fixed: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, RuntimeError> {
    let mut env = inherited(lookup)?;
    env.push((
        "HOME".into(),
        dir.join("home").to_string_lossy().into_owned(),
    ));
    env.push((
        "TMPDIR".into(),
        dir.join("tmp").to_string_lossy().into_owned(),
    ));
    env.extend(fixed);
    Ok(env)
}

/// The run metadata every agent gets, whatever runs it: run id, repository, branch, model,
/// reasoning, role, and `TRACEPARENT` (the launching step's trace context) when there is one.
pub fn run_metadata(spec: &AgentSpec) -> Vec<(String, String)> {
    let metadata = [
        ("CK8S_RUN_ID", spec.run_id.to_string()),
        ("CK8S_REPOSITORY", spec.repository.clone()),
        ("CK8S_BRANCH", spec.branch.clone()),
        ("CK8S_MODEL", spec.model.clone()),
        ("CK8S_REASONING", spec.reasoning.clone()),
        ("CK8S_ROLE", spec.role.clone()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let trace = engine::current_trace_parent().map(|t| (TRACEPARENT.to_owned(), t));
    metadata.into_iter().chain(trace).collect()
}

/// The environment of the agent of `spec` in its run directory `dir`, from the worker's
/// process environment: creates the agent's `HOME` and `TMPDIR`, and adds the run metadata, the
/// agent command's configured variables and the run's own (token, platform URL).
pub(crate) fn launch_env(
    dir: &Path,
    command: &AgentCommand,
    spec: &AgentSpec,
) -> Result<Vec<(String, String)>, RuntimeError> {
    for own in ["home", "tmp"] {
        std::fs::create_dir_all(dir.join(own))
            .map_err(|e| RuntimeError::Launch(format!("create the agent's {own}: {e}")))?;
    }
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let files = [
        ("CK8S_PROMPT_FILE".to_owned(), path("prompt.md")),
        ("CK8S_RESULT_FILE".to_owned(), path("result.json")),
    ];
    build(
        |name| std::env::var(name).ok(),
        dir,
        run_metadata(spec)
            .into_iter()
            .chain(files)
            .chain(command.env.iter().cloned())
            .chain(spec.env.iter().cloned()),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn worker() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("PATH", "/opt/bin:/usr/bin"),
            ("LANG", "C.UTF-8"),
            ("HOME", "/home/worker"),
            ("DATABASE_URL", "postgres://secret@db/codex"),
            ("CK8S_GITHUB_PLATFORM_TOKEN", "ghp-secret"),
            ("CK8S_APPROVER_SECRET", "approver-secret"),
            ("CK8S_MODEL_BASE_URL", "http://model:1/v1"),
            ("CK8S_MODEL_API_KEY_ENV", "OPENAI_API_KEY"),
            ("OPENAI_API_KEY", "sk-model"),
        ])
    }

    #[test]
    fn only_the_allow_list_the_model_key_and_an_own_home_reach_an_agent() {
        let vars = worker();
        let env = build(
            |n| vars.get(n).map(|v| v.to_string()),
            Path::new("/runs/r1"),
            [("CK8S_RUN_ID".to_owned(), "r1".to_owned())],
        )
        .unwrap();
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names.join(" "),
            "PATH LANG CK8S_MODEL_BASE_URL CK8S_MODEL_API_KEY_ENV OPENAI_API_KEY HOME TMPDIR CK8S_RUN_ID"
        );
        assert!(env.contains(&("HOME".into(), "/runs/r1/home".into())));
        let all = format!("{env:?}");
        for secret in [
            "postgres://secret",
            "ghp-secret",
            "approver-secret",
            "/home/worker",
        ] {
            assert!(!all.contains(secret), "{secret} reached the agent: {all}");
        }
    }

    #[test]
    fn the_model_key_variable_may_not_name_a_platform_variable_and_path_has_a_default() {
        let mut vars = worker();
        vars.remove("PATH");
        vars.insert("CK8S_MODEL_API_KEY_ENV", "DATABASE_URL");
        let err = inherited(|n| vars.get(n).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
        vars.insert("CK8S_MODEL_API_KEY_ENV", "OPENAI_API_KEY");
        let env = inherited(|n| vars.get(n).map(|v| v.to_string())).unwrap();
        assert!(env.contains(&("PATH".into(), DEFAULT_PATH.into())));
    }
}
