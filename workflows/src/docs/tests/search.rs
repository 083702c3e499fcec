//! Search over indexed chunks: the halfvec HNSW query finds what the exact query finds, uses the
//! index, stays within its project, and records its usage.

use testkit::embeddings::embed;

use super::support::{REPO, bind, document, start};
use crate::{
    docs::{
        DIMENSIONS, search,
        store::doc_chunk::{self, Hit, SearchParams},
    },
    store::agent_run::{self, AgentRun},
};

async fn approximate(pool: &sqlx::PgPool, p: &SearchParams<'_>) -> Vec<Hit> {
    let mut tx = pool.begin().await.unwrap();
    doc_chunk::tune_search(&mut *tx, 100).await.unwrap();
    let hits = doc_chunk::search(&mut *tx, p).await.unwrap();
    tx.commit().await.unwrap();
    hits
}

fn seed_docs(t: &super::support::Bundle) {
    let topics = [
        "webhook secret rotation",
        "postgres backups",
        "label policy",
        "agent runner",
        "cron schedules",
    ];
    for (n, topic) in topics.iter().enumerate() {
        t.github
            .put_file(REPO, &format!("docs/{n}.md"), &document(topic, topic, 2));
    }
}

#[tokio::test]
async fn the_hnsw_query_finds_what_the_exact_query_finds_and_uses_the_halfvec_index() {
    let t = start().await;
    seed_docs(&t);
    t.index().await;
    let query = embed("how does postgres backups work", DIMENSIONS);
    let params = SearchParams {
        project_id: t.project_id,
        embedding: &query,
        limit: 3,
    };

    let approx = approximate(&t.pool, &params).await;
    let exact = doc_chunk::search_exact(&t.pool, &params).await.unwrap();

    assert_eq!(approx.len(), 3);
    assert_eq!(approx[0].path, "docs/1.md", "{approx:#?}");
    assert_eq!(
        approx
            .iter()
            .map(|h| (&h.path, h.chunk_index))
            .collect::<Vec<_>>(),
        exact
            .iter()
            .map(|h| (&h.path, h.chunk_index))
            .collect::<Vec<_>>()
    );
    assert!(
        (approx[0].score - exact[0].score).abs() < 1e-2,
        "halfvec rounding only"
    );
    assert!(approx.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(approx[0].repository, REPO);
    assert!(approx[0].heading_path[0].contains("postgres backups"));

    // The production path (tune_search, then the query) is served by the expression index.
    let mut tx = t.pool.begin().await.unwrap();
    doc_chunk::tune_search(&mut *tx, 100).await.unwrap();
    let sql = format!(
        "explain {}",
        include_str!("../../../queries/doc_chunks/search.sql")
    );
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(t.project_id)
        .bind(pgvector::Vector::from(query.clone()))
        .bind(3_i64)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Scan using doc_chunks_embedding"),
        "{plan}"
    );
    t.stop().await;
}

fn agent_run(project_id: uuid::Uuid, repository_id: uuid::Uuid) -> AgentRun {
    AgentRun {
        id: uuid::Uuid::now_v7(),
        project_id,
        repository_id,
        repository: REPO.into(),
        delivery_id: None,
        kind: "reviewer".into(),
        trigger: None,
        stage: None,
        role: "reviewer".into(),
        execution_mode: "code_only".into(),
        access_profile: "candidate".into(),
        target_env: "candidate".into(),
        model: "gpt-5".into(),
        reasoning: "medium".into(),
        model_from_label: false,
        reasoning_from_label: false,
        issue_number: Some(1),
        pull_request_number: None,
        thread_kind: "issue".into(),
        thread_number: 1,
        branch: "codex/issue-1".into(),
        locale: "en".into(),
        learning_mode: false,
        status: "running".into(),
        status_comment_id: None,
    }
}

#[tokio::test]
async fn a_search_returns_its_own_projects_chunks_only_and_records_its_usage() {
    let t = start().await;
    seed_docs(&t);
    t.index().await;
    let (other_project, other_repo) = bind(&t.pool, "globex", "globex/site").await;
    t.github.put_file(
        "globex/site",
        "README.md",
        &document("Kubernetes ingress", "kubernetes ingress certificates", 2),
    );
    let other = t.index_repository(other_repo).await;
    assert_eq!(other.summary.status, engine::RunStatus::Succeeded);
    let run = agent_run(t.project_id, t.repository_id);
    agent_run::insert(&t.pool, &run).await.unwrap();

    let found = search(&t.platform, &run, "kubernetes ingress certificates", 5)
        .await
        .unwrap();

    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert!(results.iter().all(|r| r["repository"] == REPO), "{found:#}");
    let mut other_run = agent_run(other_project, other_repo);
    other_run.repository = "globex/site".into();
    agent_run::insert(&t.pool, &other_run).await.unwrap();
    let theirs = search(
        &t.platform,
        &other_run,
        "kubernetes ingress certificates",
        1,
    )
    .await
    .unwrap();
    assert_eq!(theirs["results"][0]["path"], "README.md");
    assert_eq!(theirs["results"][0]["repository"], "globex/site");
    for field in ["path", "heading_path", "text", "score", "blob_sha"] {
        assert!(
            !theirs["results"][0][field].is_null(),
            "{field}: {theirs:#}"
        );
    }
    let searches: i64 = sqlx::query_scalar(
        "select count(*) from embedding_usage where purpose = 'search' and agent_run_id = $1 and inputs = 1",
    )
    .bind(run.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(searches, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_bad_query_is_a_caller_error() {
    let t = start().await;
    let run = agent_run(t.project_id, t.repository_id);
    for (query, k) in [("   ", 5), ("x", 0), ("x", 21)] {
        let err = search(&t.platform, &run, query, k).await.unwrap_err();
        assert!(err.is_caller_error(), "{err:?}");
        assert_eq!(err.code(), "invalid_argument");
    }
    let long = "x".repeat(2001);
    assert!(
        search(&t.platform, &run, &long, 5)
            .await
            .unwrap_err()
            .is_caller_error()
    );
    t.stop().await;
}
