//! The single status comment: edit by id, find by marker after a lost id, or create.

use http::Method;

use super::support::{REPO, start};
use crate::github::Error;
use testkit::github::{BOT_LOGIN, HUMAN_LOGIN};

const MARKER: &str = "<!-- codex-k8s:run-status run_id=0190-aa -->";

fn body(phase: &str) -> String {
    format!("{MARKER}\nRun is {phase}")
}

const COMMENTS: &str = "/repos/acme/shop/issues/7/comments";

#[tokio::test]
async fn upsert_with_a_known_id_edits_that_comment_in_one_request() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    let first = t
        .client
        .upsert_status_comment(REPO, 7, None, MARKER, &body("created"))
        .await
        .expect("create");
    let before = t.fake.requests().len();

    let second = t
        .client
        .upsert_status_comment(REPO, 7, Some(first.id), MARKER, &body("started"))
        .await
        .expect("edit");

    assert_eq!(second.id, first.id);
    assert_eq!(t.fake.comments(REPO, 7), [(first.id, body("started"))]);
    assert_eq!(t.fake.requests().len() - before, 1, "one PATCH, no listing");
}

#[tokio::test]
async fn upsert_after_losing_the_id_finds_the_marker_and_edits_without_a_duplicate() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake.add_comment(REPO, 7, HUMAN_LOGIN, "unrelated");
    // The comment was posted, then the process died before storing its id.
    let posted = t
        .fake
        .add_comment(REPO, 7, BOT_LOGIN, &body("created"))
        .expect("seeded");

    let upserted = t
        .client
        .upsert_status_comment(REPO, 7, None, MARKER, &body("started"))
        .await
        .expect("upsert");

    assert_eq!(upserted.id, posted);
    assert_eq!(t.fake.comments(REPO, 7).len(), 2);
    assert_eq!(t.fake.comments(REPO, 7)[1], (posted, body("started")));
    assert!(
        t.requests_to(Method::POST, COMMENTS).is_empty(),
        "nothing created"
    );
}

#[tokio::test]
async fn upsert_without_an_id_or_a_marked_comment_creates_one() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);

    let created = t
        .client
        .upsert_status_comment(REPO, 7, None, MARKER, &body("created"))
        .await
        .expect("upsert");

    assert_eq!(t.fake.comments(REPO, 7), [(created.id, body("created"))]);
    assert_eq!(t.requests_to(Method::POST, COMMENTS).len(), 1);
}

#[tokio::test]
async fn upsert_with_an_id_that_no_longer_exists_falls_back_to_the_marker() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    let posted = t
        .fake
        .add_comment(REPO, 7, BOT_LOGIN, &body("created"))
        .expect("seeded");

    let upserted = t
        .client
        .upsert_status_comment(REPO, 7, Some(999_999), MARKER, &body("finished"))
        .await
        .expect("upsert");

    assert_eq!(upserted.id, posted);
    assert_eq!(t.fake.comments(REPO, 7), [(posted, body("finished"))]);
}

#[tokio::test]
async fn upsert_ignores_a_marker_that_a_person_copied_into_their_comment() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    let quoted = t
        .fake
        .add_comment(REPO, 7, HUMAN_LOGIN, &format!("> {MARKER}\nwhy?"))
        .expect("seeded");

    let created = t
        .client
        .upsert_status_comment(REPO, 7, None, MARKER, &body("created"))
        .await
        .expect("upsert");

    assert_ne!(created.id, quoted);
    assert_eq!(
        t.fake.comments(REPO, 7)[0],
        (quoted, format!("> {MARKER}\nwhy?"))
    );
}

#[tokio::test]
async fn upsert_with_an_unchanged_body_sends_no_edit() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    let posted = t
        .fake
        .add_comment(REPO, 7, BOT_LOGIN, &body("created"))
        .expect("seeded");

    let same = t
        .client
        .upsert_status_comment(REPO, 7, None, MARKER, &body("created"))
        .await
        .expect("upsert");

    assert_eq!(same.id, posted);
    let methods: Vec<Method> = t.fake.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, [Method::GET]);
}

#[tokio::test]
async fn upsert_refuses_a_body_without_its_marker() {
    let t = start().await;

    for (marker, text) in [(MARKER, "no marker here"), ("", "anything")] {
        let error = t
            .client
            .upsert_status_comment(REPO, 7, None, marker, text)
            .await
            .expect_err("refused");
        assert!(matches!(error, Error::MarkerNotInBody { .. }), "{error:?}");
    }
    assert!(t.fake.requests().is_empty());
}
