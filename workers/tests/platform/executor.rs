//! The built-in executor of approved control actions, end to end: the MCP reference client asks,
//! the Owner approves through the real approver callback, and the approval flow performs the
//! action itself against the fake Kubernetes API server (real `kube` client), the fake GitHub
//! (real octocrab client; it opens each sealed value with the repository's key) and the test's
//! real Postgres server, with no external executor configured; no secret value reaches
//! the agent's answers, the audit, the step history or the logs.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use testkit::{kube_api::FakeKube, logs::Capture};
use tracing_subscriber::EnvFilter;
use uuid::Uuid;
use workflows::approval;

use crate::mcp::Mcp;

const DB_PASSWORD: &str = "s3cr3t-db-password-4b1e";

fn kube_client(fake: &FakeKube) -> kube::Client {
    let config = kube::Config::new(fake.url().parse().expect("the fake's url"));
    kube::Client::try_from(config).expect("a client for the fake")
}

/// Approves request `id` as the Owner through the approver callback.
async fn approve(m: &Mcp, id: &str) {
    let cb = m.delivery("/approver", id).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = json!({ "request_id": id, "decision": "approved", "by": "owner" });
    let (status, body) = m
        .callback(approval::APPROVER_CALLBACK_PATH, &cb, answer)
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The request's final state and result, once the flow ended.
async fn settled(m: &Mcp, id: &str) -> (String, Value) {
    let id: Uuid = id.parse().unwrap();
    for _ in 0..400 {
        let (state, result): (String, Option<Value>) =
            sqlx::query_as("select state, result from approvals where id = $1")
                .bind(id)
                .fetch_one(&m.base.pool)
                .await
                .unwrap();
        if matches!(state.as_str(), "applied" | "failed") {
            return (state, result.unwrap_or(Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} never settled");
}

async fn ask(m: &Mcp, token: &str, tool: &str, args: Value) -> String {
    let opened = m.call(token, tool, args).await["structured"].clone();
    assert_eq!(opened["status"], "approval_pending", "{opened}");
    opened["request_id"].as_str().unwrap().to_owned()
}

/// Asks through the reference client, approves as the Owner and waits for the outcome:
/// (request id, final state, result).
async fn decided(m: &Mcp, token: &str, tool: &str, args: Value) -> (String, String, Value) {
    let id = ask(m, token, tool, args).await;
    approve(m, &id).await;
    let (state, result) = settled(m, &id).await;
    (id, state, result)
}

/// Everything the platform stored about runs and requests, as text.
async fn stored_text(m: &Mcp) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(
        "select coalesce(detail::text, '') from flow_events
         union all select coalesce(result::text, '') || request::text from approvals
         union all select coalesce(output::text, '') || coalesce(error::text, '') from workflow_steps",
    )
    .fetch_all(&m.base.pool)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn approved_secret_syncs_are_performed_by_the_platform_and_repeat_to_the_same_value() {
    let logs = Capture::default();
    let _guard = logs.install(EnvFilter::new("trace"));
    let fake = FakeKube::start().await;
    fake.insert("namespaces", json!({ "metadata": { "name": "acme-dev" } }));
    fake.insert(
        "secrets",
        json!({
            "metadata": { "name": "shop-db", "namespace": "acme-dev" },
            "type": "Opaque",
            "data": { "DB_PASSWORD": base64(DB_PASSWORD), "OTHER": base64("kept") },
        }),
    );
    let m = Mcp::start_with_executor(kube_client(&fake)).await;
    let (_run, token) = m.run("sre", Some("ops"), 31).await;

    // Kubernetes → GitHub: the Secret's key becomes the Actions secret, sealed for the repo.
    let copy = json!({ "secret_name": "DB_PASSWORD", "namespace": "acme-dev",
        "kubernetes_secret": "shop-db", "mode": "kubernetes_to_github" });
    let (_, state, result) = decided(&m, &token, "secret_sync", copy).await;
    assert_eq!(state, "applied", "{result}");
    assert_eq!(
        (&result["github"], &result["kubernetes"]),
        (&json!("created"), &json!("acme-dev/shop-db#DB_PASSWORD")),
        "{result}"
    );
    assert_eq!(
        m.base
            .github
            .actions_secret("acme/shop", "DB_PASSWORD")
            .as_deref(),
        Some(DB_PASSWORD)
    );

    // Deterministic: one derived value on both sides; the Secret's other keys stay.
    fake.insert(
        "secrets",
        json!({ "metadata": { "name": "shop-api", "namespace": "acme-dev" },
                "data": { "OTHER": base64("kept") } }),
    );
    let derive = json!({ "secret_name": "API_TOKEN", "namespace": "acme-dev",
        "kubernetes_secret": "shop-api", "mode": "deterministic", "idempotency_key": "api-1" });
    let (id, state, result) = decided(&m, &token, "secret_sync", derive.clone()).await;
    assert_eq!(state, "applied", "{result}");
    let on_github = m
        .base
        .github
        .actions_secret("acme/shop", "API_TOKEN")
        .unwrap();
    let secret = fake.get("secrets", Some("acme-dev"), "shop-api").unwrap();
    assert_eq!(unbase64(&secret["data"]["API_TOKEN"]), on_github);
    assert_eq!(unbase64(&secret["data"]["OTHER"]), "kept");
    assert_eq!(on_github.len(), 43, "base64url of a 32-byte HMAC");

    // The same request again (the flow's step re-run after a crash) writes the same value,
    // even after GitHub rotated the repository key.
    m.base.github.rotate_actions_key("acme/shop");
    let stored = approval::get_approval(&m.platform, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let executor = m.platform.executor().expect("the built-in executor");
    let served = executor.execute(&m.platform, &stored).await.unwrap();
    assert_eq!(served["github"], "updated", "{served}");
    assert_eq!(
        m.base
            .github
            .actions_secret("acme/shop", "API_TOKEN")
            .unwrap(),
        on_github
    );

    // A sync whose Secret is missing fails with the reason, and nothing is written to GitHub.
    let missing = json!({ "secret_name": "MISSING", "namespace": "acme-dev",
        "kubernetes_secret": "nope", "mode": "kubernetes_to_github" });
    let (_, state, result) = decided(&m, &token, "secret_sync", missing).await;
    assert_eq!(state, "failed", "{result}");
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("acme-dev/nope does not exist"),
        "{result}"
    );
    assert_eq!(m.base.github.actions_secret("acme/shop", "MISSING"), None);

    // `acme-dev` is ai-staging here: a Secret of the platform's own is view-only to an approved
    // action, so the sync is refused before anything is written on either side.
    let platform_secret = json!({ "metadata": { "name": "platform-keys", "namespace": "acme-dev",
            "labels": { "app.kubernetes.io/part-of": "codex-k8s" } },
        "data": { "OTHER": base64("kept") } });
    fake.insert("secrets", platform_secret.clone());
    let overwrite = json!({ "secret_name": "PLATFORM_KEY", "namespace": "acme-dev",
        "kubernetes_secret": "platform-keys", "mode": "deterministic" });
    let (_, state, result) = decided(&m, &token, "secret_sync", overwrite).await;
    assert_eq!(state, "failed", "{result}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.contains("part of the platform") && error.contains("view-only"),
        "{error}"
    );
    let kept = fake
        .get("secrets", Some("acme-dev"), "platform-keys")
        .unwrap();
    assert_eq!(kept["data"], platform_secret["data"]);
    assert_eq!(
        m.base.github.actions_secret("acme/shop", "PLATFORM_KEY"),
        None
    );

    // Relabelled as the platform's own between the executor's read and its write: the write
    // names the version it judged, the API server refuses it, and the retried attempt reads the
    // label and refuses the sync.
    fake.insert(
        "secrets",
        json!({ "metadata": { "name": "shop-relabel", "namespace": "acme-dev" },
                "data": { "OTHER": base64("kept") } }),
    );
    let mut relabelled = fake
        .get("secrets", Some("acme-dev"), "shop-relabel")
        .unwrap();
    relabelled["metadata"]["labels"] = json!({ "app.kubernetes.io/part-of": "codex-k8s" });
    fake.insert_before_next(
        http::Method::PATCH,
        "/api/v1/namespaces/acme-dev/secrets/shop-relabel",
        "secrets",
        relabelled,
    );
    let racing = json!({ "secret_name": "RACED", "namespace": "acme-dev",
        "kubernetes_secret": "shop-relabel", "mode": "deterministic" });
    let (_, state, result) = decided(&m, &token, "secret_sync", racing).await;
    assert_eq!(state, "failed", "{result}");
    assert!(
        result["error"].as_str().unwrap().contains("view-only"),
        "{result}"
    );
    let kept = fake
        .get("secrets", Some("acme-dev"), "shop-relabel")
        .unwrap();
    assert_eq!(kept["data"], json!({ "OTHER": base64("kept") }));
    assert_eq!(m.base.github.actions_secret("acme/shop", "RACED"), None);

    let stored = stored_text(&m).await;
    let logged = logs.text();
    assert!(
        logged.contains("put_actions_secret"),
        "the capture saw the executor's calls"
    );
    for value in [DB_PASSWORD, on_github.as_str()] {
        assert!(!stored.contains(value), "a secret value was stored");
        assert!(!logged.contains(value), "a secret value was logged");
    }
    m.stop().await;
}

#[tokio::test]
async fn approved_databases_are_created_and_deleted_on_the_server_with_credentials_in_a_secret() {
    let logs = Capture::default();
    let _guard = logs.install(EnvFilter::new("trace"));
    let fake = FakeKube::start().await;
    fake.insert("namespaces", json!({ "metadata": { "name": "acme-dev" } }));
    let m = Mcp::start_with_executor(kube_client(&fake)).await;
    let (_run, token) = m.run("sre", Some("ops"), 32).await;
    let create = json!({ "action": "create", "environment": "dev", "database": "search" });
    let (id, state, result) = decided(&m, &token, "database_lifecycle", create).await;
    assert_eq!(state, "applied", "{result}");
    assert_eq!(
        (&result["database"], &result["role"], &result["secret"]),
        (
            &json!("dev_search"),
            &json!("dev_search_owner"),
            &json!("acme-dev/db-dev-search")
        ),
        "{result}"
    );
    assert_eq!(
        (&result["database_created"], &result["role_created"]),
        (&json!(true), &json!(true))
    );

    // The credentials work, for that database, as an ordinary role.
    let secret = fake
        .get("secrets", Some("acme-dev"), "db-dev-search")
        .unwrap();
    assert_eq!(
        secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "codex-k8s"
    );
    let password = unbase64(&secret["data"]["password"]);
    let url = unbase64(&secret["data"]["url"]);
    assert!(
        url.ends_with("/dev_search") && url.contains("dev_search_owner:"),
        "{url}"
    );
    let mut owner = PgConnection::connect(&url)
        .await
        .expect("the stored credentials log in");
    let (who, db, superuser): (String, String, bool) = sqlx::query_as(
        "select current_user::text, current_database()::text, rolsuper from pg_roles where rolname = current_user",
    )
    .fetch_one(&mut owner)
    .await
    .unwrap();
    assert_eq!(
        (who.as_str(), db.as_str(), superuser),
        ("dev_search_owner", "dev_search", false)
    );
    owner.close().await.unwrap();
    // The test server trusts every login, so check the password against the role's verifier.
    assert!(password_matches(&m, "dev_search_owner", &password).await);
    assert!(!password_matches(&m, "dev_search_owner", "another").await);

    // Describe reads the server.
    let described = describe_search(&m, &token).await;
    assert_eq!(
        (&described["exists"], &described["source"]),
        (&json!(true), &json!("server")),
        "{described}"
    );

    // Run again (the flow's step re-run after a crash): nothing new, the same password.
    let stored = approval::get_approval(&m.platform, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let executor = m.platform.executor().expect("the built-in executor");
    let repeat = executor.execute(&m.platform, &stored).await.unwrap();
    assert_eq!(
        (&repeat["database_created"], &repeat["role_created"]),
        (&json!(false), &json!(false)),
        "{repeat}"
    );
    let secret = fake
        .get("secrets", Some("acme-dev"), "db-dev-search")
        .unwrap();
    assert_eq!(unbase64(&secret["data"]["password"]), password);
    assert!(
        password_matches(&m, "dev_search_owner", &password).await,
        "still the same password"
    );

    // A Secret of the same name the platform did not create is refused and left alone.
    fake.insert(
        "secrets",
        json!({ "metadata": { "name": "db-dev-billing", "namespace": "acme-dev" },
                "data": { "password": base64("theirs") } }),
    );
    let foreign = json!({ "action": "create", "environment": "dev", "database": "billing" });
    let (_, state, result) = decided(&m, &token, "database_lifecycle", foreign).await;
    assert_eq!(state, "failed", "{result}");
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("not created by the platform"),
        "{result}"
    );
    let kept = fake
        .get("secrets", Some("acme-dev"), "db-dev-billing")
        .unwrap();
    assert_eq!(unbase64(&kept["data"]["password"]), "theirs");
    assert!(!database_exists(&m, "dev_billing").await);

    // A database of that name someone else owns is neither taken over nor dropped.
    sqlx::query("create database dev_legacy")
        .execute(&m.base.pool)
        .await
        .unwrap();
    for ask_for in [
        json!({ "action": "create", "environment": "dev", "database": "legacy" }),
        json!({ "action": "delete", "environment": "dev", "database": "legacy", "confirm_delete": true }),
    ] {
        let (_, state, result) = decided(&m, &token, "database_lifecycle", ask_for).await;
        assert_eq!(state, "failed", "{result}");
        assert!(
            result["error"].as_str().unwrap().contains("left alone"),
            "{result}"
        );
    }
    assert!(database_exists(&m, "dev_legacy").await);
    assert!(
        fake.get("secrets", Some("acme-dev"), "db-dev-legacy")
            .is_none()
    );

    // Delete drops the database (with a session open on it), the role and the Secret.
    let mut open = PgConnection::connect(&url).await.unwrap();
    let delete = json!({ "action": "delete", "environment": "dev", "database": "search", "confirm_delete": true });
    let (_, state, result) = decided(&m, &token, "database_lifecycle", delete).await;
    assert_eq!(state, "applied", "{result}");
    assert_eq!(
        (
            &result["database_dropped"],
            &result["role_dropped"],
            &result["secret_deleted"]
        ),
        (&json!(true), &json!(true), &json!(true)),
        "{result}"
    );
    assert!(
        sqlx::query("select 1").execute(&mut open).await.is_err(),
        "its sessions were closed"
    );
    assert!(!database_exists(&m, "dev_search").await);
    assert!(
        fake.get("secrets", Some("acme-dev"), "db-dev-search")
            .is_none()
    );
    let described = describe_search(&m, &token).await;
    assert_eq!(described["exists"], false, "{described}");

    assert!(
        logs.text().contains("dev_search"),
        "the capture saw the executor's work"
    );
    assert!(!logs.text().contains(&password), "the password was logged");
    assert!(
        !stored_text(&m).await.contains(&password),
        "the password was stored"
    );
    m.stop().await;
}

/// Whether `password` is the one the role's SCRAM-SHA-256 verifier was made from
/// (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 / 7677).
async fn password_matches(m: &Mcp, role: &str, password: &str) -> bool {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let verifier: String =
        sqlx::query_scalar("select rolpassword from pg_authid where rolname = $1")
            .bind(role)
            .fetch_one(&m.base.pool)
            .await
            .unwrap();
    let (head, keys) = verifier.split_once('$').unwrap().1.split_once('$').unwrap();
    let (iterations, salt) = head.split_once(':').unwrap();
    let stored = STANDARD.decode(keys.split_once(':').unwrap().0).unwrap();
    let mac = |key: &[u8], data: &[u8]| {
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    };
    // PBKDF2-HMAC-SHA256 with one output block.
    let mut block = STANDARD.decode(salt).unwrap();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = mac(password.as_bytes(), &block);
    let mut salted = u.clone();
    for _ in 1..iterations.parse::<u32>().unwrap() {
        u = mac(password.as_bytes(), &u);
        salted.iter_mut().zip(&u).for_each(|(s, x)| *s ^= x);
    }
    let client_key = mac(&salted, b"Client Key");
    Sha256::digest(&client_key).to_vec() == stored
}

/// What `database_lifecycle` describes of `dev`/`search`.
async fn describe_search(m: &Mcp, token: &str) -> Value {
    let ask = json!({ "action": "describe", "environment": "dev", "database": "search" });
    m.call(token, "database_lifecycle", ask).await["structured"].clone()
}

async fn database_exists(m: &Mcp, name: &str) -> bool {
    sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&m.base.pool)
        .await
        .unwrap()
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unbase64(v: &Value) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("a base64 value"))
        .unwrap();
    String::from_utf8(raw).unwrap()
}

const SEALED_BOX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/sealed-box.mjs");

async fn libsodium(args: &[&str]) -> Value {
    let out = tokio::process::Command::new("node")
        .arg(SEALED_BOX)
        .args(args)
        .output()
        .await
        .expect("node (and tests/npm-install.sh) are needed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn sealed_values_agree_with_libsodium_both_ways() {
    // What the platform seals, libsodium opens.
    let pair = libsodium(&["keypair"]).await;
    let (public, secret) = (
        pair["public"].as_str().unwrap(),
        pair["secret"].as_str().unwrap(),
    );
    let sealed = workflows::github::seal(public, "päss wörd €".as_bytes()).unwrap();
    let opened = libsodium(&["open", public, secret, &sealed]).await;
    assert_eq!(opened["opened"], "päss wörd €");

    // What libsodium seals for the fake GitHub's repository key, the fake opens: the fake is
    // not only checked by the implementation it serves.
    let github = testkit::github::FakeGitHub::start().await.unwrap();
    workflows::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let base = format!("{}/repos/acme/shop/actions/secrets", github.base_url());
    let key: Value = http
        .get(format!("{base}/public-key"))
        .bearer_auth(github.platform_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sealed = libsodium(&["seal", key["key"].as_str().unwrap(), "from libsodium"]).await;
    let put = |key_id: Value| {
        http.put(format!("{base}/FROM_NODE"))
            .bearer_auth(github.platform_token())
            .json(&json!({ "encrypted_value": sealed["sealed"], "key_id": key_id }))
            .send()
    };
    assert_eq!(put(key["key_id"].clone()).await.unwrap().status(), 201);
    assert_eq!(put(key["key_id"].clone()).await.unwrap().status(), 204);
    assert_eq!(put(json!("stale")).await.unwrap().status(), 422);
    assert_eq!(
        github.actions_secret("acme/shop", "FROM_NODE").as_deref(),
        Some("from libsodium")
    );
}
