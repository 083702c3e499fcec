//! The runner's settings, from the environment the runtime gives the agent.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, bail};

use crate::config::Secret;

/// What the runner reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `CK8S_PLATFORM_URL`: the platform API base URL (required).
    pub platform_url: String,
    /// `CK8S_RUN_TOKEN`: the run's bearer token (required; never logged).
    pub token: Secret,
    /// `CK8S_RESULT_FILE`: where to write `{"final_message", "pull_request"}`.
    pub result_file: Option<PathBuf>,
    /// `CK8S_PROMPT_FILE`: the prompt, when the platform's context has none.
    pub prompt_file: Option<PathBuf>,
    /// `CK8S_CODEX_BIN`: the codex binary (default `codex` on PATH).
    pub codex_bin: PathBuf,
    /// `CK8S_CODEX_HOME`: codex's home (default `codex-home` beside the result file); it must be
    /// outside the repository, whose changes the stage checks.
    pub codex_home: PathBuf,
    /// `CK8S_MODEL_BASE_URL`: the Responses API base URL (default `https://api.openai.com/v1`).
    pub model_base_url: String,
    /// `CK8S_MODEL_API_KEY_ENV`: the name of the variable holding the model API key, if one is needed.
    pub model_api_key_env: Option<String>,
    /// `CK8S_MCP_TOOL_TIMEOUT_SECS`: codex's per-call MCP timeout; above the longest Owner wait (default 3600).
    pub mcp_tool_timeout_secs: u64,
    /// `CK8S_CODEX_LOG`: codex's own `RUST_LOG` (default `warn`; the runner's `RUST_LOG` is not passed on).
    pub codex_log: String,
    /// `CK8S_HEARTBEAT_SECS`: heartbeat period (default 30).
    pub heartbeat_every: Duration,
    /// The working directory: the checked-out repository codex works in.
    pub workdir: PathBuf,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let workdir = std::env::current_dir().context("read the working directory")?;
        Self::from_lookup(|name| std::env::var(name).ok(), workdir)
    }

    /// Reads settings through `lookup` (empty values count as unset).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        workdir: PathBuf,
    ) -> anyhow::Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let platform_url = get("CK8S_PLATFORM_URL")
            .context("CK8S_PLATFORM_URL is required")?
            .trim_end_matches('/')
            .to_owned();
        let token: Secret = get("CK8S_RUN_TOKEN")
            .context("CK8S_RUN_TOKEN is required")?
            .parse()
            .map_err(|e| anyhow::anyhow!("CK8S_RUN_TOKEN {e}"))?;
        let result_file = get("CK8S_RESULT_FILE").map(PathBuf::from);
        let codex_home = match (get("CK8S_CODEX_HOME"), &result_file) {
            (Some(home), _) => PathBuf::from(home),
            (None, Some(result)) => result
                .parent()
                .map(|dir| dir.join("codex-home"))
                .context("CK8S_RESULT_FILE has no parent directory")?,
            (None, None) => {
                bail!("set CK8S_CODEX_HOME (or CK8S_RESULT_FILE, beside which it goes)")
            }
        };
        let secs = |name: &str, default: u64| -> anyhow::Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => bail!("{name} must be a positive whole number of seconds"),
                },
            }
        };
        Ok(Self {
            platform_url,
            token,
            result_file,
            prompt_file: get("CK8S_PROMPT_FILE").map(PathBuf::from),
            codex_bin: get("CK8S_CODEX_BIN").map_or_else(|| PathBuf::from("codex"), PathBuf::from),
            codex_home,
            model_base_url: get("CK8S_MODEL_BASE_URL")
                .unwrap_or_else(|| "https://api.openai.com/v1".into()),
            model_api_key_env: get("CK8S_MODEL_API_KEY_ENV"),
            mcp_tool_timeout_secs: secs("CK8S_MCP_TOOL_TIMEOUT_SECS", 3600)?,
            codex_log: get("CK8S_CODEX_LOG").unwrap_or_else(|| "warn".into()),
            heartbeat_every: Duration::from_secs(secs("CK8S_HEARTBEAT_SECS", 30)?),
            workdir,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| vars.get(k).cloned(), PathBuf::from("/w/repo"))
    }

    #[test]
    fn defaults_and_required_settings() {
        let s = settings(&[
            ("CK8S_PLATFORM_URL", "http://p:8080/"),
            ("CK8S_RUN_TOKEN", "tok-secret-1"),
            ("CK8S_RESULT_FILE", "/w/result.json"),
        ])
        .unwrap();
        assert_eq!(s.platform_url, "http://p:8080");
        assert_eq!(s.codex_home, PathBuf::from("/w/codex-home"));
        assert_eq!(s.codex_bin, PathBuf::from("codex"));
        assert_eq!(s.mcp_tool_timeout_secs, 3600);
        assert_eq!(s.heartbeat_every, Duration::from_secs(30));
        assert!(!format!("{s:?}").contains("tok-secret-1"));

        let missing = settings(&[("CK8S_PLATFORM_URL", "http://p")]).unwrap_err();
        assert!(missing.to_string().contains("CK8S_RUN_TOKEN"), "{missing}");
        let bad = settings(&[
            ("CK8S_PLATFORM_URL", "http://p"),
            ("CK8S_RUN_TOKEN", "t"),
            ("CK8S_CODEX_HOME", "/h"),
            ("CK8S_MCP_TOOL_TIMEOUT_SECS", "0"),
        ])
        .unwrap_err();
        assert!(
            bad.to_string().contains("CK8S_MCP_TOOL_TIMEOUT_SECS"),
            "{bad}"
        );
    }
}
