//! Incremental indexing: what each kind of change costs, and what it leaves in `doc_chunks`.

use super::support::{REPO, document, start};
use crate::docs::{DocsConfig, Usage};

#[tokio::test]
async fn a_first_index_embeds_every_document_and_an_unchanged_repository_costs_nothing() {
    let t = start().await;
    t.github
        .put_file(REPO, "README.md", &document("Shop", "checkout", 2));
    t.github
        .put_file(REPO, "docs/runbook.md", &document("Runbook", "backups", 3));
    t.github.put_file(
        REPO,
        "docs/adr/0001-db.md",
        &document("ADR 1", "postgres", 1),
    );
    t.github.put_file(REPO, "src/main.rs", "fn main() {}");
    t.github.put_file(REPO, "notes/todo.md", "# not a document");

    let first = t.index().await;

    let chunks = t.chunks().await;
    let paths: std::collections::BTreeSet<&str> = chunks.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["README.md", "docs/adr/0001-db.md", "docs/runbook.md"]
    );
    // One chunk per section plus the title's: 3 + 4 + 2.
    assert_eq!(chunks.len(), 9);
    assert_eq!(t.embeddings.embedded(), 9);
    assert_eq!(
        (first.documents, first.embedded, first.unchanged),
        (3, 3, 0)
    );
    assert_eq!(first.chunks_written, 9);
    assert_eq!(first.usage.inputs, 9);
    assert!(first.usage.requests >= 1 && first.usage.input_tokens > 0);
    let recorded: (i64, i64) = sqlx::query_as(
        "select sum(inputs)::bigint, count(*) from embedding_usage where purpose = 'index' and repository_id = $1",
    )
    .bind(t.repository_id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(recorded.0, 9, "usage recorded per batch");

    let (requests, blobs) = (t.embeddings.requests().len(), t.blob_reads());
    let second = t.index().await;

    assert_eq!(
        t.embeddings.requests().len(),
        requests,
        "no embedding requested"
    );
    assert_eq!(t.blob_reads(), blobs, "no document fetched");
    assert_eq!(
        (second.unchanged, second.embedded, second.chunks_written),
        (3, 0, 0)
    );
    assert_eq!(second.usage, Usage::default());
    assert_eq!(t.chunks().await, chunks);
    t.stop().await;
}

#[tokio::test]
async fn one_changed_document_embeds_only_its_own_chunks() {
    let t = start().await;
    for n in 0..6 {
        let doc = document(&format!("Doc {n}"), &format!("topic{n}"), 2);
        t.github.put_file(REPO, &format!("docs/d{n}.md"), &doc);
    }
    t.index().await;
    let before = t.chunks().await;
    let embedded = t.embeddings.embedded();

    let sha = t
        .github
        .put_file(REPO, "docs/d3.md", &document("Doc 3", "changed", 4));
    let out = t.index().await;

    let after = t.chunks().await;
    let changed: Vec<&(String, i32, String)> =
        after.iter().filter(|c| c.0 == "docs/d3.md").collect();
    assert_eq!(changed.len(), 5);
    assert!(changed.iter().all(|c| c.2 == sha));
    assert_eq!(
        t.embeddings.embedded() - embedded,
        5,
        "only the changed document's chunks"
    );
    let new_inputs: Vec<String> = t
        .embeddings
        .requests()
        .iter()
        .skip_while(|r| r.inputs.iter().all(|i| !i.contains("changed")))
        .flat_map(|r| r.inputs.clone())
        .collect();
    assert!(
        new_inputs.iter().all(|i| i.starts_with("docs/d3.md\n")),
        "{new_inputs:?}"
    );
    let untouched = |c: &&(String, i32, String)| c.0 != "docs/d3.md";
    assert_eq!(
        after.iter().filter(untouched).collect::<Vec<_>>(),
        before.iter().filter(untouched).collect::<Vec<_>>()
    );
    assert_eq!((out.unchanged, out.embedded), (5, 1));
    t.stop().await;
}

#[tokio::test]
async fn a_deleted_document_loses_its_chunks_and_a_renamed_one_costs_no_embedding() {
    let t = start().await;
    t.github
        .put_file(REPO, "docs/keep.md", &document("Keep", "alpha", 1));
    t.github
        .put_file(REPO, "docs/old-name.md", &document("Moved", "beta", 2));
    t.github
        .put_file(REPO, "docs/drop.md", &document("Drop", "gamma", 2));
    t.index().await;
    let moved_before: Vec<(i32, String)> = t
        .chunks()
        .await
        .into_iter()
        .filter(|c| c.0 == "docs/old-name.md")
        .map(|c| (c.1, c.2))
        .collect();
    let (requests, blobs) = (t.embeddings.requests().len(), t.blob_reads());

    assert!(t.github.remove_file(REPO, "docs/drop.md"));
    assert!(
        t.github
            .rename_file(REPO, "docs/old-name.md", "docs/new-name.md")
    );
    let out = t.index().await;

    let chunks = t.chunks().await;
    assert!(chunks.iter().all(|c| c.0 != "docs/drop.md"), "{chunks:?}");
    assert!(
        chunks.iter().all(|c| c.0 != "docs/old-name.md"),
        "{chunks:?}"
    );
    let moved: Vec<(i32, String)> = chunks
        .iter()
        .filter(|c| c.0 == "docs/new-name.md")
        .map(|c| (c.1, c.2.clone()))
        .collect();
    assert_eq!(moved, moved_before);
    assert_eq!(
        t.embeddings.requests().len(),
        requests,
        "a rename embeds nothing"
    );
    assert_eq!(t.blob_reads(), blobs, "a rename fetches nothing");
    assert_eq!((out.moved, out.deleted, out.embedded), (1, 2, 0));
    assert_eq!(
        out.chunks_deleted,
        3 + 3,
        "drop.md and the old name's chunks"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_truncated_tree_indexes_what_it_lists_and_deletes_nothing() {
    let t = start().await;
    t.github
        .put_file(REPO, "docs/a.md", &document("A", "alpha", 1));
    t.github
        .put_file(REPO, "docs/b.md", &document("B", "beta", 1));
    t.index().await;
    t.github.remove_file(REPO, "docs/b.md");
    t.github.truncate_tree(REPO, true);

    let out = t.index().await;

    assert!(!out.complete);
    assert_eq!(out.deleted, 0);
    assert!(t.chunks().await.iter().any(|c| c.0 == "docs/b.md"));
    t.stop().await;
}

#[tokio::test]
async fn documents_over_the_size_limit_are_skipped_and_configured_globs_pick_documents() {
    let t = super::support::start_with(|c| DocsConfig {
        globs: vec!["handbook/*.md".into()],
        max_file_bytes: 200,
        ..c
    })
    .await;
    t.github
        .put_file(REPO, "README.md", "# Readme\n\nnot picked by these globs");
    t.github
        .put_file(REPO, "handbook/small.md", "# Small\n\nfits");
    t.github
        .put_file(REPO, "handbook/big.md", &document("Big", "size", 20));

    let out = t.index().await;

    let paths: Vec<String> = t.chunks().await.into_iter().map(|c| c.0).collect();
    assert_eq!(paths, ["handbook/small.md"]);
    assert_eq!((out.documents, out.skipped), (1, 1));
    t.stop().await;
}

#[tokio::test]
async fn progress_and_counts_are_visible_in_the_run_and_its_flow_event() {
    let t = start().await;
    for n in 0..5 {
        t.github.put_file(
            REPO,
            &format!("docs/d{n}.md"),
            &document("D", &format!("t{n}"), 1),
        );
    }
    let run = t.index_repository(t.repository_id).await;

    let steps: Vec<&str> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        steps,
        [
            "load_repository",
            "list_documents",
            "plan",
            "index_batch",
            "index_batch",
            "index_batch",
            "record_outcome"
        ]
    );
    let plan = run.steps[2].output.as_ref().unwrap();
    assert_eq!(plan["batches"].as_array().unwrap().len(), 3, "{plan}");
    let batch = run.steps[3].output.as_ref().unwrap();
    assert_eq!(batch["done"]["documents"], 2, "{batch}");
    let detail: serde_json::Value = sqlx::query_scalar(
        "select detail from flow_events where run_id = $1 and kind = 'docs_indexed'",
    )
    .bind(run.summary.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(detail["outcome"]["embedded"], 5, "{detail}");
    assert_eq!(detail["trigger"], "manual");
    t.stop().await;
}

#[tokio::test]
async fn the_sweep_indexes_every_bound_repository_and_its_schedule_is_kept_once() {
    use crate::docs::{DocsSweep, SWEEP_SCHEDULE, SweepInput, SweepOutput, schedule};
    let t = start().await;
    let (_, other) = super::support::bind(&t.pool, "globex", "globex/site").await;
    t.github
        .put_file(REPO, "README.md", &document("Shop", "checkout", 1));
    t.github
        .put_file("globex/site", "README.md", &document("Site", "ingress", 1));

    let options = engine::StartOptions {
        queue: Some(crate::platform::DOCS_QUEUE.into()),
        ..engine::StartOptions::default()
    };
    let sweep = t
        .client
        .start::<DocsSweep>(&SweepInput {}, options)
        .await
        .unwrap();
    let sweep = t.finished(sweep.id).await;
    let out: SweepOutput = serde_json::from_value(sweep.output.unwrap()).unwrap();
    assert_eq!(
        out,
        SweepOutput {
            repositories: 2,
            started: 2
        }
    );
    let filter = engine::RunFilter {
        kind: Some("docs_index".into()),
        ..engine::RunFilter::default()
    };
    for run in t.client.list_runs(&filter).await.unwrap().runs {
        assert_eq!(
            t.finished(run.id).await.summary.status,
            engine::RunStatus::Succeeded
        );
    }
    let repos: Vec<uuid::Uuid> =
        sqlx::query_scalar("select distinct repository_id from doc_chunks order by 1")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    let mut expected = vec![t.repository_id, other];
    expected.sort();
    assert_eq!(repos, expected);

    schedule(&t.client, "0 0 */6 * * *").await.unwrap();
    schedule(&t.client, "0 0 */6 * * *").await.unwrap();
    let kept: Vec<(String, String)> =
        sqlx::query_as("select kind, queue from cron_schedules where id = $1")
            .bind(SWEEP_SCHEDULE)
            .fetch_all(&t.pool)
            .await
            .unwrap();
    assert_eq!(kept, [("docs_sweep".to_owned(), "docs".to_owned())]);
    t.stop().await;
}

#[tokio::test]
async fn a_repository_unbound_while_it_is_indexed_stops_the_run_instead_of_retrying_its_writes() {
    use std::time::Duration;

    use testkit::embeddings::EmbeddingFault;

    use crate::docs::{IndexInput, IndexOutput, start_index};

    let t = start().await;
    for n in 0..3 {
        t.github.put_file(
            REPO,
            &format!("docs/d{n}.md"),
            &document("D", &format!("t{n}"), 1),
        );
    }
    // The first batch waits for its embeddings while the repository is unbound.
    t.embeddings
        .fail_next(EmbeddingFault::Stall(Duration::from_millis(1500)), 1);
    let input = IndexInput {
        repository_id: t.repository_id,
        trigger: "manual".into(),
        head_sha: None,
    };
    let run = start_index(&t.client, &t.pool, &input, "test:unbound".into())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while t.embeddings.requests().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no embeddings request"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    crate::directory::unbind_repository(&t.pool, t.repository_id, crate::directory::Actor::Cli)
        .await
        .unwrap();

    let run = t.finished(run.id).await;
    assert_eq!(run.summary.status, engine::RunStatus::Succeeded, "{run:#?}");
    let out: IndexOutput = serde_json::from_value(run.output.clone().unwrap()).unwrap();
    assert!(out.unbound, "{out:?}");
    assert_eq!((out.embedded, out.chunks_written), (0, 0), "{out:?}");
    let batches: Vec<_> = run
        .steps
        .iter()
        .filter(|s| s.name == "index_batch")
        .collect();
    assert_eq!(batches.len(), 1, "the second batch never ran: {run:#?}");
    assert_eq!(batches[0].attempts, 1, "a lost repository is not retried");
    assert_eq!(t.embeddings.requests().len(), 1);
    assert!(t.chunks().await.is_empty());
    // What was embedded is still accounted to the project.
    let usage: (i64, Option<uuid::Uuid>) =
        sqlx::query_as("select sum(inputs)::bigint, max(repository_id::text)::uuid from embedding_usage where project_id = $1")
            .bind(t.project_id)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(usage, (t.embeddings.embedded() as i64, None));
    assert_eq!(out.usage.inputs as usize, t.embeddings.embedded());
    t.stop().await;
}
