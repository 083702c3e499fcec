//! The staff API end to end: the contract at run time, onboarding from an empty database with
//! `codex-k8s admin` and the API (real processes), sealed repository tokens, runs inspection.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use testkit::github::FakeGitHub;

use crate::support::*;

#[tokio::test]
async fn requests_that_break_the_contract_are_refused_naming_each_field() {
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let t = Some(owner.as_str());
    let cases = [
        (
            "POST",
            "/api/v1/staff/projects",
            Some(json!({ "slug": "Bad Slug", "name": "x" })),
            "body/slug",
        ),
        (
            "POST",
            "/api/v1/staff/projects",
            Some(json!({ "name": "x" })),
            "body/slug",
        ),
        (
            "POST",
            "/api/v1/staff/projects",
            Some(json!({ "slug": "ok", "name": "x", "extra": 1 })),
            "body",
        ),
        (
            "POST",
            "/api/v1/staff/users",
            Some(json!({ "email": "not-an-email" })),
            "body/email",
        ),
        ("GET", "/api/v1/staff/runs?limit=0", None, "query/limit"),
        ("GET", "/api/v1/staff/runs?limit=ten", None, "query/limit"),
        (
            "GET",
            "/api/v1/staff/runs?status=sleeping",
            None,
            "query/status",
        ),
        (
            "GET",
            "/api/v1/staff/runs?created_after=yesterday",
            None,
            "query/created_after",
        ),
        ("GET", "/api/v1/staff/runs?cursor=!!", None, "query/cursor"),
        (
            "GET",
            "/api/v1/staff/runs?cursor=AAAA",
            None,
            "query/cursor",
        ),
        ("GET", "/api/v1/staff/runs/not-a-uuid", None, "path/run_id"),
        ("GET", "/api/v1/staff/projects/UPPER", None, "path/project"),
        (
            "PUT",
            "/api/v1/staff/projects/acme/members/00000000-0000-0000-0000-000000000000",
            None,
            "body",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, problem, content_type) = p.staff_call(method, path, t, body).await;
        assert_eq!(status, 400, "{method} {path}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["status"], 400);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.contains(&field),
            "{method} {path}: {fields:?} {problem}"
        );
    }
    // Authentication comes first: a bad request without a token is a 401.
    let (status, problem, _) = p
        .staff_call("GET", "/api/v1/staff/runs?limit=0", None, None)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (status, _, _) = p
        .staff_call("GET", "/api/v1/staff/me", Some("garbage"), None)
        .await;
    assert_eq!(status, 401);
    p.stop().await;
}

#[tokio::test]
async fn a_repository_token_is_sealed_at_rest_never_returned_and_survives_a_key_rotation() {
    use workers::api::staff::{jwt::JwtKeys, reads::Reads};
    use workflows::vault::Vault;
    let k1 = Vault::generate_entry("k1");
    let k2 = Vault::generate_entry("k2");
    let first = Vault::parse(&k1, None).unwrap();
    let p = TestPlatform::start(Options {
        queues: vec![],
        staff: Some(Box::new(move |pool| {
            workers::api::StaffState::new(
                JwtKeys::generate("t", Duration::from_secs(900)),
                Some(first),
                None,
                Reads::primary_only(pool),
            )
        })),
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let secret = "ghp_sealed_0123456789abcdefghijklmnopqrstuv";
    let (status, repo, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/projects/acme/repositories",
            Some(&owner),
            Some(json!({ "full_name": "acme/vault", "token": secret })),
        )
        .await;
    assert_eq!(status, 201, "{repo}");
    assert!(!repo.to_string().contains(secret));
    assert_eq!(repo["token_set"], true);
    assert_eq!(repo["token_key_id"], "k1");
    let (_, list, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/projects/acme/repositories",
            Some(&owner),
            None,
        )
        .await;
    assert!(!list.to_string().contains(secret));
    let id: uuid::Uuid = repo["id"].as_str().unwrap().parse().unwrap();
    let stored: Vec<u8> = sqlx::query_scalar("select token_sealed from repositories where id = $1")
        .bind(id)
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert!(
        !stored.windows(8).any(|w| w == &secret.as_bytes()[..8]),
        "stored in the clear"
    );
    let audit: String =
        sqlx::query_scalar("select coalesce(string_agg(detail::text, ' '), '') from flow_events")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert!(!audit.contains(secret));
    // Rotation: a vault with the old key and a new active one opens it and reseals it.
    let rotated = Vault::parse(&format!("{k1},{k2}"), Some("k2")).unwrap();
    let cli = workflows::directory::Actor::Cli;
    let resealed = workflows::directory::reencrypt_tokens(&p.pool, &rotated, cli)
        .await
        .unwrap();
    assert_eq!(resealed, 1);
    assert_eq!(
        workflows::directory::reencrypt_tokens(&p.pool, &rotated, cli)
            .await
            .unwrap(),
        0
    );
    let reseal: Vec<Value> = sqlx::query_scalar(
        "select detail from flow_events where kind = 'repository_token_resealed'",
    )
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(reseal.len(), 1, "one audited rewrite");
    assert_eq!(
        (
            reseal[0]["repository"].as_str(),
            reseal[0]["previous_token_key_id"].as_str(),
            reseal[0]["token_key_id"].as_str(),
            reseal[0]["actor"].as_str()
        ),
        (Some("acme/vault"), Some("k1"), Some("k2"), Some("cli"))
    );
    let only_new = Vault::parse(&k2, None).unwrap();
    let opened = workflows::directory::repository_token(&p.pool, &only_new, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.expose(), secret);
    let (_, list, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/projects/acme/repositories",
            Some(&owner),
            None,
        )
        .await;
    let vault_repo = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["full_name"] == "acme/vault")
        .unwrap()
        .clone();
    assert_eq!(vault_repo["token_key_id"], "k2");
    p.stop().await;
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_codex-k8s"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The environment every process of the e2e test shares.
struct Env {
    vars: Vec<(String, String)>,
    logs: PathBuf,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("RUST_LOG", "debug")
            .env("CK8S_LOG_FORMAT", "json")
            .env_remove("CK8S_REPO_TOKEN")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// Runs an admin command; returns stdout, logging both streams.
    fn admin(&self, args: &[&str], extra: &[(&str, &str)]) -> String {
        let out = self
            .command(args)
            .envs(extra.iter().copied())
            .output()
            .expect("run codex-k8s admin");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let log = self
            .logs
            .join(format!("admin-{}.log", uuid::Uuid::new_v4().simple()));
        std::fs::write(log, format!("{stdout}\n{stderr}")).unwrap();
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        stdout
    }

    fn spawn(&self, args: &[&str], name: &str, extra: &[(&str, &str)]) -> Child {
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).unwrap();
        self.command(args)
            .envs(extra.iter().copied())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn codex-k8s")
    }

    fn all_logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(&self.logs).unwrap().flatten() {
            out.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        out
    }
}

struct Kill(Vec<Child>);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
    seen: &mut String,
) -> (u16, Value) {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("staff API answers");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    seen.push_str(&text);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

// Multi-threaded: the admin CLI runs as a blocking child process while the fake GitHub it calls
// serves from this runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_goes_from_an_empty_database_to_a_run_started_by_a_label_with_admin_and_the_api_and_nothing_secret_leaks()
 {
    workflows::tls::install_crypto_provider();
    let (pool, url) = fresh_database().await;
    let github = FakeGitHub::start().await.unwrap();
    github.add_issue("acme/shop", 7, "first task", &["run:dev"]);
    let oauth = testkit::oauth::FakeOAuth::start("e2e-client", "oauth-client-secret-never-log")
        .await
        .unwrap();
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let logs = std::env::temp_dir().join(format!("ck8s-e2e-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    let jwt_secret = "jwt-secret-5a1d-never-log-0123456789abcdef";
    let token_key = workflows::vault::Vault::generate_entry("k1");
    let webhook_secret = "whsec-e2e-never-log";
    let repo_token = "ghp_e2e_repo_token_never_log_0123456789";
    let env = Env {
        vars: vec![
            ("DATABASE_URL".into(), url.clone()),
            ("CK8S_HTTP_ADDR".into(), format!("127.0.0.1:{port}")),
            ("CK8S_PLATFORM_API_URL".into(), api.clone()),
            ("CK8S_JWT_KEYS".into(), format!("k1={jwt_secret}")),
            ("CK8S_TOKEN_KEYS".into(), token_key.clone()),
            ("CK8S_GITHUB_API_URL".into(), github.base_url().to_owned()),
            (
                "CK8S_GITHUB_PLATFORM_TOKEN".into(),
                github.platform_token().to_owned(),
            ),
            (
                "CK8S_GITHUB_BOT_TOKEN".into(),
                github.bot_token().to_owned(),
            ),
            (
                "CK8S_GITHUB_BOT_LOGIN".into(),
                testkit::github::BOT_LOGIN.to_owned(),
            ),
            ("CK8S_GITHUB_WEBHOOK_SECRET".into(), webhook_secret.into()),
            (
                "CK8S_RUNTIME_ROOT".into(),
                logs.join("runs").display().to_string(),
            ),
            (
                "CK8S_WORKER_QUEUES".into(),
                "ingress=4,stages=2,default=2".into(),
            ),
            ("CK8S_GITHUB_OAUTH_CLIENT_ID".into(), "e2e-client".into()),
            (
                "CK8S_GITHUB_OAUTH_CLIENT_SECRET".into(),
                "oauth-client-secret-never-log".into(),
            ),
            ("CK8S_GITHUB_OAUTH_URL".into(), oauth.base_url()),
            ("CK8S_GITHUB_OAUTH_API_URL".into(), oauth.base_url()),
        ],
        logs: logs.clone(),
    };
    // 1. The first owner, then a token, without OAuth.
    env.admin(
        &[
            "admin",
            "bootstrap",
            "--email",
            "Ann@Acme.test",
            "--github-login",
            "ann",
        ],
        &[],
    );
    let owner_token = env
        .admin(&["admin", "token", "--user", "ann@acme.test"], &[])
        .trim()
        .to_owned();
    // 2. A project, a teammate and a bound repository with the CLI …
    env.admin(
        &[
            "admin", "project", "add", "--slug", "acme", "--name", "Acme",
        ],
        &[],
    );
    env.admin(
        &[
            "admin",
            "user",
            "add",
            "--email",
            "bob@acme.test",
            "--github-login",
            "bob",
        ],
        &[],
    );
    env.admin(
        &[
            "admin",
            "member",
            "add",
            "--project",
            "acme",
            "--user",
            "bob@acme.test",
            "--role",
            "read_write",
        ],
        &[],
    );
    let bound = env.admin(
        &[
            "admin",
            "repo",
            "bind",
            "--project",
            "acme",
            "--repo",
            "acme/shop",
        ],
        &[("CK8S_REPO_TOKEN", repo_token)],
    );
    assert!(bound.contains("sealed with key k1"), "{bound}");
    // Each CLI write is audited in its transaction, by the actor `cli` (no user behind it), with
    // ids and logins, never an email or the token.
    let cli_audit: Vec<(String, Value)> =
        sqlx::query_as("select kind, detail from flow_events where run_id is null order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let kinds: Vec<&str> = cli_audit.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "user_created",
            "project_created",
            "user_created",
            "member_added",
            "repository_bound"
        ]
    );
    for (kind, detail) in &cli_audit {
        assert_eq!(
            (&detail["actor"], &detail["actor_id"]),
            (&json!("cli"), &Value::Null),
            "{kind}: {detail}"
        );
        let text = detail.to_string();
        assert!(
            !text.contains("acme.test") && !text.contains(repo_token),
            "{kind}: {detail}"
        );
    }
    assert_eq!(
        (
            &cli_audit[0].1["platform_role"],
            &cli_audit[0].1["github_login"]
        ),
        (&json!("owner"), &json!("ann"))
    );
    assert_eq!(
        (&cli_audit[3].1["github_login"], &cli_audit[3].1["role"]),
        (&json!("bob"), &json!("read_write"))
    );
    // The repository's webhook, created, then repaired in place (GitHub hides a hook's secret,
    // so a second run sets it again instead of adding a hook).
    let ingress = format!("{api}/api/v1/webhooks/github");
    let created = env.admin(&["admin", "repo", "webhook", "--repo", "acme/shop"], &[]);
    assert!(
        created.contains("created") && created.contains(&ingress),
        "{created}"
    );
    github.fail_next(
        http::Method::GET,
        "/repos/acme/shop/hooks",
        testkit::github::Fault::ServerError(502),
        1,
    );
    let repaired = env.admin(&["admin", "repo", "webhook", "--repo", "acme/shop"], &[]);
    assert!(repaired.contains("repaired"), "{repaired}");
    let hooks = github.hooks("acme/shop");
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(
        (
            hooks[0].url.as_str(),
            hooks[0].secret.as_deref(),
            hooks[0].content_type.as_str(),
            hooks[0].active
        ),
        (ingress.as_str(), Some(webhook_secret), "json", true)
    );
    assert_eq!(
        hooks[0].events,
        workflows::delivery::SUBSCRIBED_EVENTS.map(str::to_owned)
    );
    let audited: Vec<Value> = sqlx::query_scalar(
        "select detail from flow_events where kind = 'repository_webhook_set' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 2);
    assert_eq!(
        (
            &audited[0]["created"],
            &audited[1]["created"],
            &audited[1]["hook_id"]
        ),
        (&json!(true), &json!(false), &json!(hooks[0].id))
    );
    assert!(!audited[0].to_string().contains(webhook_secret));
    let unbound = env
        .command(&["admin", "repo", "webhook", "--repo", "acme/elsewhere"])
        .output()
        .unwrap();
    assert!(!unbound.status.success());
    assert!(
        String::from_utf8_lossy(&unbound.stderr).contains("repository not found"),
        "{unbound:?}"
    );
    // 3. … and the rest through the API.
    // The real agent (codex) is the default; this test asks for the scripted stand-in.
    let scripted = format!(
        "{} scripted-agent",
        shlex::try_quote(&bin().to_string_lossy()).unwrap()
    );
    let children = Kill(vec![
        env.spawn(&["serve"], "serve", &[]),
        // The worker serves its own /livez, /readyz and /metrics: elsewhere.
        env.spawn(
            &["worker"],
            "worker",
            &[
                ("CK8S_HTTP_ADDR", "127.0.0.1:0"),
                ("CK8S_AGENT_PROGRAM", &scripted),
            ],
        ),
    ]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while http.get(format!("{api}/livez")).send().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "serve did not come up: {}",
            env.all_logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut seen = String::new();
    let (s, me) = call(
        &http,
        reqwest::Method::GET,
        format!("{api}/api/v1/staff/me"),
        &owner_token,
        None,
        &mut seen,
    )
    .await;
    assert_eq!(
        (s, me["user"]["platform_role"].as_str()),
        (200, Some("owner")),
        "{me}"
    );
    let (s, carol) = call(
        &http,
        reqwest::Method::POST,
        format!("{api}/api/v1/staff/users"),
        &owner_token,
        Some(json!({ "email": "carol@acme.test", "github_login": "carol" })),
        &mut seen,
    )
    .await;
    assert_eq!(s, 201, "{carol}");
    let carol_id = carol["id"].as_str().unwrap();
    let (s, member) = call(
        &http,
        reqwest::Method::PUT,
        format!("{api}/api/v1/staff/projects/acme/members/{carol_id}"),
        &owner_token,
        Some(json!({ "role": "admin" })),
        &mut seen,
    )
    .await;
    assert_eq!(
        (s, member["role"].as_str()),
        (200, Some("admin")),
        "{member}"
    );
    let (s, repo) = call(
        &http,
        reqwest::Method::POST,
        format!("{api}/api/v1/staff/projects/acme/repositories"),
        &owner_token,
        Some(json!({ "full_name": "acme/docs", "token": repo_token })),
        &mut seen,
    )
    .await;
    assert_eq!(
        (s, repo["token_set"].as_bool()),
        (201, Some(true)),
        "{repo}"
    );
    // 3b. Carol logs in with GitHub (state + PKCE) and gets her own token.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let start = no_redirects
        .get(format!("{api}/api/v1/staff/auth/github/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status().as_u16(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let param = |name: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(location.split_once('?').unwrap().1)
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == name)
            .unwrap()
            .1
    };
    let (login_state, challenge) = (param("state"), param("code_challenge"));
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    oauth.grant(
        &code,
        &challenge,
        testkit::oauth::Account {
            id: 77,
            login: "carol".into(),
            emails: vec![("carol@acme.test".into(), true)],
        },
    );
    let answer = http
        .get(format!(
            "{api}/api/v1/staff/auth/github/callback?code={code}&state={login_state}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let carol_token: Value = answer.json().await.unwrap();
    let carol_token = carol_token["access_token"].as_str().unwrap().to_owned();
    let (s, carol_me) = call(
        &http,
        reqwest::Method::GET,
        format!("{api}/api/v1/staff/me"),
        &carol_token,
        None,
        &mut seen,
    )
    .await;
    assert_eq!(
        (s, carol_me["memberships"][0]["role"].as_str()),
        (200, Some("admin")),
        "{carol_me}"
    );
    // 4. A label by the teammate starts a run.
    let payload = issue_labeled("bob", "User", 7, "run:dev", &["run:dev"]).to_string();
    let res = http
        .post(format!("{api}/api/v1/webhooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
        .header(
            "x-hub-signature-256",
            workers::api::sign(webhook_secret.as_bytes(), payload.as_bytes()),
        )
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let run = loop {
        let (s, page) = call(
            &http,
            reqwest::Method::GET,
            format!("{api}/api/v1/staff/runs?project=acme&issue=7"),
            &owner_token,
            None,
            &mut seen,
        )
        .await;
        assert_eq!(s, 200, "{page}");
        if let Some(run) = page["items"].as_array().and_then(|i| i.first()).cloned()
            && run["status"] == "succeeded"
        {
            break run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no finished run: {page}\n{}",
            env.all_logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(run["repository"], "acme/shop");
    let (s, detail) = call(
        &http,
        reqwest::Method::GET,
        format!("{api}/api/v1/staff/runs/{}", run["id"].as_str().unwrap()),
        &owner_token,
        None,
        &mut seen,
    )
    .await;
    assert_eq!(s, 200, "{detail}");
    assert!(!detail["steps"].as_array().unwrap().is_empty());
    assert_eq!(
        detail["links"]["issue"],
        "https://github.com/acme/shop/issues/7"
    );
    drop(children);
    // Nothing secret in any response or log line.
    let logs_text = env.all_logs();
    for (name, secret) in [
        ("repository token", repo_token),
        ("JWT signing secret", jwt_secret),
        ("token encryption key", token_key.split_once('=').unwrap().1),
        ("webhook secret", webhook_secret),
        ("staff JWT", owner_token.as_str()),
        ("OAuth-issued JWT", carol_token.as_str()),
        ("OAuth client secret", "oauth-client-secret-never-log"),
        ("OAuth code", code.as_str()),
        ("OAuth state", login_state.as_str()),
    ] {
        assert!(!seen.contains(secret), "{name} in an API response");
        let in_logs = logs_text
            .lines()
            .filter(|l| !l.trim().is_empty())
            // The one place a JWT may appear: `admin token`'s own stdout, which is its answer.
            .filter(|l| !(name == "staff JWT" && l.trim() == secret))
            .any(|l| l.contains(secret));
        assert!(!in_logs, "{name} in the logs");
    }
    pool.close().await;
    let _ = std::fs::remove_dir_all(&logs);
}

#[tokio::test]
async fn prompt_overrides_are_versioned_and_the_effective_template_follows_the_locale_chain() {
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let t = Some(owner.as_str());
    let (s, _, _) = p
        .staff_call(
            "PATCH",
            "/api/v1/staff/projects/acme",
            t,
            Some(json!({ "locale": "ru" })),
        )
        .await;
    assert_eq!(s, 200);
    let effective = "/api/v1/staff/prompt-templates/effective?project=acme&role=dev&kind=work";
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(
        (e["source"].as_str(), e["locale"].as_str()),
        (Some("repo_seed"), Some("ru")),
        "{e}"
    );
    assert_eq!(e["locale_chain"], json!(["ru", "en"]));
    let (s, v1, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/prompt-templates/dev/work/ru",
            t,
            Some(json!({ "body": "Системная версия для {{ role }}.", "change_reason": "tone" })),
        )
        .await;
    assert_eq!((s, v1["version"].as_i64()), (201, Some(1)), "{v1}");
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(
        (e["source"].as_str(), e["source_version"].as_i64()),
        (Some("system_override"), Some(1))
    );
    // A stale expectation is a conflict; the project's own override wins over the system's.
    let (s, _, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/prompt-templates/dev/work/ru",
            t,
            Some(json!({ "body": "x {{ role }}", "change_reason": "r", "expected_active": null })),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _, _) = p
        .staff_call(
            "POST",
            "/api/v1/staff/prompt-templates/dev/work/ru?project=acme",
            t,
            Some(json!({ "body": "Проектная версия для {{ role }}.", "change_reason": "project" })),
        )
        .await;
    assert_eq!(s, 201);
    let (_, e, _) = p.staff_call("GET", effective, t, None).await;
    assert_eq!(e["source"], "project_override");
    assert!(e["body"].as_str().unwrap().contains("Проектная"));
    let (_, tpl, _) = p
        .staff_call("GET", "/api/v1/staff/prompt-templates/dev/work/ru", t, None)
        .await;
    assert!(
        tpl["seed"].as_str().is_some_and(|s| !s.is_empty()),
        "the repo seed is shown: {tpl}"
    );
    assert_eq!(tpl["versions"].as_array().map(Vec::len), Some(1));
    p.stop().await;
}

#[tokio::test]
async fn retrying_a_parked_run_resumes_it() {
    // A stage run whose workflow kind no worker here knows is parked by the worker.
    let p = TestPlatform::start(Options::default()).await;
    let owner = p.token_for("owner@acme.test").await;
    p.github.add_issue("acme/shop", 11, "park me", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 11, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    p.finished(run, Duration::from_secs(60)).await;
    // Its pre-review ends too (it holds the Issue's slot while it runs).
    p.reviewed(run).await;
    // Make its kind unknown and put it back in line, two hand-backs down: the worker parks it.
    sqlx::query("update workflow_runs set kind = 'retired_kind', status = 'pending', finished_at = null, end_reason = null where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
    sqlx::query("insert into workflow_tasks (run_id, queue, priority, state, run_at, skips) select id, queue, priority, 'ready', now(), 2 from workflow_runs where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, detail, _) = p
            .staff_call(
                "GET",
                &format!("/api/v1/staff/runs/{run}"),
                Some(&owner),
                None,
            )
            .await;
        if detail["engine"]["status"] == "parked" {
            assert_eq!(
                detail["engine"]["parked"]["code"], "unknown_kind",
                "{detail}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not parked: {detail}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, outcome, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        (s, outcome["outcome"].as_str()),
        (200, Some("resumed")),
        "{outcome}"
    );
    p.stop().await;
}

#[tokio::test]
async fn the_status_comments_next_step_links_resolve_to_the_preview_and_the_user_toggle_sets_learning_mode()
 {
    let p = TestPlatform::start(Options::default()).await;
    let owner = p.token_for("owner@acme.test").await;
    let me = workflows::store::directory::get_user_by_email(&p.pool, "owner@acme.test")
        .await
        .unwrap()
        .unwrap();
    let (s, _, _) = p
        .staff_call(
            "PATCH",
            &format!("/api/v1/staff/users/{}", me.id),
            Some(&owner),
            Some(json!({ "learning_mode_override": true })),
        )
        .await;
    assert_eq!(s, 200);
    p.github.add_issue("acme/shop", 21, "link me", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 21, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    p.finished(run, Duration::from_secs(60)).await;
    // The next-step links come with the reviewer's verdict.
    p.reviewed(run).await;
    let stored = workflows::store::agent_run::get(&p.pool, run)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.learning_mode,
        "the user's own toggle turned learning mode on"
    );
    let comments = p.github.comments("acme/shop", 21);
    let body = comments
        .iter()
        .map(|(_, b)| b.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let start = body
        .find("https://console.example/?modal=next-step")
        .unwrap_or_else(|| panic!("a next-step link in {body}"));
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ')' && *c != '>')
        .collect();
    let path = link.trim_start_matches("https://console.example");
    let (s, _, _) = p.staff_call("GET", path, None, None).await;
    assert_eq!(
        s, 303,
        "the console link is answered until a console serves it"
    );
    let response = tower::ServiceExt::oneshot(
        p.router.clone(),
        axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/api/v1/staff/next-steps/preview?"),
        "{location}"
    );
    let (s, preview, _) = p.staff_call("GET", &location, Some(&owner), None).await;
    assert!(s == 200 || s == 409, "the preview answers: {s} {preview}");
    if s == 200 {
        assert!(
            preview["diff"]["added_labels"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{preview}"
        );
    }
    p.stop().await;
}
