//! The run's context from the platform, and the prompt the run works on.

use std::path::Path;

use anyhow::{Context, bail};

use super::{
    client::{Call, CallError, PlatformClient},
    wire::{CONTEXT_PATH, RunContext},
};

/// Longest prompt passed on codex's command line (Linux caps one argument at 128 KiB).
const MAX_PROMPT_BYTES: usize = 120 << 10;

/// Fetches the run's context (retried for about 15 s: nothing can start without it).
pub(super) async fn fetch(client: &PlatformClient) -> Result<RunContext, CallError> {
    client
        .get_json(Call::new("fetch the run context", 8), CONTEXT_PATH)
        .await
}

/// The prompt: the platform's rendered prompt, else the runtime's prompt file.
pub(super) fn prompt(ctx: &RunContext, prompt_file: Option<&Path>) -> anyhow::Result<String> {
    let text = match (&ctx.prompt, prompt_file) {
        (Some(text), _) if !text.trim().is_empty() => text.clone(),
        (_, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("read the prompt file {}", file.display()))?,
        _ => bail!("the run has no prompt: the platform gave none and CK8S_PROMPT_FILE is not set"),
    };
    if text.trim().is_empty() {
        bail!("the prompt is empty");
    }
    if text.len() > MAX_PROMPT_BYTES {
        bail!(
            "the prompt is {} bytes; at most {MAX_PROMPT_BYTES} fit on codex's command line",
            text.len()
        );
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(prompt: Option<&str>) -> RunContext {
        RunContext {
            run_id: uuid::Uuid::nil(),
            repository: "acme/shop".into(),
            branch: "codex/issue-1".into(),
            model: "gpt-5.5".into(),
            reasoning: "high".into(),
            role: "dev".into(),
            stage: Some("dev".into()),
            issue_number: Some(1),
            pull_request_number: None,
            prompt: prompt.map(str::to_owned),
            mcp_url: "http://p/mcp".into(),
            lineage: "acme/shop#1".into(),
            session: None,
            base_commit: None,
        }
    }

    #[test]
    fn the_platform_prompt_wins_and_the_file_is_the_fallback() {
        let dir = std::env::temp_dir().join(format!("ck8s-prompt-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("prompt.md");
        std::fs::write(&file, "from the file").unwrap();
        assert_eq!(
            prompt(&ctx(Some("from the platform")), Some(&file)).unwrap(),
            "from the platform"
        );
        assert_eq!(prompt(&ctx(None), Some(&file)).unwrap(), "from the file");
        assert!(prompt(&ctx(None), None).is_err());
        std::fs::write(&file, "x".repeat(MAX_PROMPT_BYTES + 1)).unwrap();
        assert!(
            prompt(&ctx(None), Some(&file))
                .unwrap_err()
                .to_string()
                .contains("command line")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
