//! Happy paths of every operation, and which token each one uses.

use http::Method;

use super::support::{REPO, start};
use crate::github::{Error, IssueState, Reaction};
use testkit::github::{Auth, BOT_LOGIN, HUMAN_LOGIN};

#[tokio::test]
async fn get_issue_reads_title_labels_author_and_state_with_the_platform_token() {
    let t = start().await;
    t.fake
        .add_issue(REPO, 7, "Add checkout", &["run:dev", "state:in-review"]);

    let issue = t.client.get_issue(REPO, 7).await.expect("issue");

    assert_eq!(issue.number, 7);
    assert_eq!(issue.title, "Add checkout");
    assert_eq!(issue.labels, ["run:dev", "state:in-review"]);
    assert_eq!(issue.state, IssueState::Open);
    assert_eq!(issue.user_login, HUMAN_LOGIN);
    assert_eq!(
        issue.html_url,
        format!("{}/{REPO}/issues/7", t.fake.base_url())
    );
    assert!(!issue.is_pull_request);
    assert_eq!(t.auths(), [Auth::Platform]);
}

#[tokio::test]
async fn get_issue_on_a_pull_request_number_says_it_is_a_pull_request() {
    let t = start().await;
    t.fake
        .add_pull_request(REPO, 8, "codex/issue-7", "abc123", &[]);

    let issue = t.client.get_issue(REPO, 8).await.expect("issue");

    assert!(issue.is_pull_request);
}

#[tokio::test]
async fn get_pull_request_reads_refs_sha_and_labels() {
    let t = start().await;
    t.fake
        .add_pull_request(REPO, 12, "codex/issue-7", "0123abcd", &["run:review"]);
    t.fake.close(REPO, 12);

    let pull = t
        .client
        .get_pull_request(REPO, 12)
        .await
        .expect("pull request");

    assert_eq!(pull.number, 12);
    assert_eq!(pull.head_ref, "codex/issue-7");
    assert_eq!(pull.head_sha, "0123abcd");
    assert_eq!(pull.base_ref, "main");
    assert_eq!(pull.labels, ["run:review"]);
    assert_eq!(pull.state, IssueState::Closed);
    assert_eq!(pull.user_login, HUMAN_LOGIN);
    assert_eq!(
        pull.html_url,
        format!("{}/{REPO}/pull/12", t.fake.base_url())
    );
    assert_eq!(t.auths(), [Auth::Platform]);
}

#[tokio::test]
async fn listing_pull_requests_for_a_branch_returns_only_its_open_ones() {
    let t = start().await;
    t.fake
        .add_pull_request(REPO, 3, "codex/issue-1", "aaa", &[]);
    t.fake
        .add_pull_request(REPO, 4, "codex/issue-1", "bbb", &[]);
    t.fake
        .add_pull_request(REPO, 5, "codex/issue-2", "ccc", &[]);
    t.fake.close(REPO, 3);

    let pulls = t
        .client
        .list_pull_requests_for_branch(REPO, "codex/issue-1")
        .await
        .expect("pulls");

    assert_eq!(pulls.iter().map(|p| p.number).collect::<Vec<_>>(), [4]);
    let sent = t.requests_to(Method::GET, "/repos/acme/shop/pulls");
    let query = sent[0].query.clone().unwrap_or_default();
    assert!(
        query.contains("head=acme%3Acodex%2Fissue-1") && query.contains("state=open"),
        "{query}"
    );
}

#[tokio::test]
async fn issue_labels_are_listed_with_the_bot_token() {
    let t = start().await;
    t.fake
        .add_issue(REPO, 7, "x", &["run:dev", "[ai-model-gpt-5]"]);

    let labels = t.client.list_issue_labels(REPO, 7).await.expect("labels");

    assert_eq!(labels, ["run:dev", "[ai-model-gpt-5]"]);
    assert_eq!(t.auths(), [Auth::Bot]);
}

#[tokio::test]
async fn adding_labels_twice_returns_all_labels_and_never_duplicates_them() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &["state:ready"]);
    let add = ["run:dev".to_owned(), "need:input".to_owned()];

    let first = t.client.add_labels(REPO, 7, &add).await.expect("first add");
    let second = t
        .client
        .add_labels(REPO, 7, &add)
        .await
        .expect("second add");

    assert_eq!(first, ["state:ready", "run:dev", "need:input"]);
    assert_eq!(second, first);
    assert_eq!(t.fake.labels(REPO, 7), first);
}

#[tokio::test]
async fn label_names_with_colons_spaces_and_brackets_are_removed_by_exact_name() {
    let t = start().await;
    t.fake
        .add_issue(REPO, 7, "x", &["run:dev", "[ai-reasoning high]", "keep"]);

    t.client
        .remove_label(REPO, 7, "run:dev")
        .await
        .expect("remove run:dev");
    t.client
        .remove_label(REPO, 7, "[ai-reasoning high]")
        .await
        .expect("remove bracketed");

    assert_eq!(t.fake.labels(REPO, 7), ["keep"]);
    let deletes: Vec<String> = t.fake.requests().into_iter().map(|r| r.path).collect();
    assert!(
        deletes.contains(&"/repos/acme/shop/issues/7/labels/run%3Adev".to_owned()),
        "{deletes:?}"
    );
}

#[tokio::test]
async fn removing_a_label_that_is_not_there_succeeds() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &["keep"]);

    t.client
        .remove_label(REPO, 7, "run:dev")
        .await
        .expect("absent label is fine");
    t.client
        .remove_label(REPO, 7, "run:dev")
        .await
        .expect("and again");

    assert_eq!(t.fake.labels(REPO, 7), ["keep"]);
}

#[tokio::test]
async fn a_comment_is_created_read_and_edited_with_the_bot_token() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);

    let created = t
        .client
        .create_comment(REPO, 7, "hello")
        .await
        .expect("create");
    let read = t.client.get_comment(REPO, created.id).await.expect("get");
    let edited = t
        .client
        .update_comment(REPO, created.id, "hello again")
        .await
        .expect("update");

    assert_eq!(read.as_ref(), Some(&created));
    assert_eq!(created.user_login, BOT_LOGIN);
    assert!(
        created
            .html_url
            .ends_with(&format!("/{REPO}/issues/7#issuecomment-{}", created.id))
    );
    assert_eq!(edited.id, created.id);
    assert_eq!(edited.body, "hello again");
    assert_eq!(
        t.fake.comments(REPO, 7),
        [(created.id, "hello again".to_owned())]
    );
    let path = format!("/repos/acme/shop/issues/comments/{}", created.id);
    assert_eq!(
        t.requests_to(Method::PATCH, &path).len(),
        1,
        "edits use PATCH"
    );
    assert!(t.auths().iter().all(|auth| *auth == Auth::Bot));
}

#[tokio::test]
async fn reading_a_missing_comment_gives_none() {
    let t = start().await;

    assert_eq!(
        t.client.get_comment(REPO, 424_242).await.expect("get"),
        None
    );
}

#[tokio::test]
async fn listing_comments_follows_pages_oldest_first() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    for i in 0..250 {
        t.fake.add_comment(REPO, 7, HUMAN_LOGIN, &format!("c{i}"));
    }

    let comments = t.client.list_comments(REPO, 7).await.expect("comments");

    assert_eq!(comments.len(), 250);
    assert_eq!(
        (comments[0].body.as_str(), comments[249].body.as_str()),
        ("c0", "c249")
    );
    assert_eq!(
        t.requests_to(Method::GET, "/repos/acme/shop/issues/7/comments")
            .len(),
        3
    );
    assert!(t.auths().iter().all(|auth| *auth == Auth::Bot));
}

#[tokio::test]
async fn listing_comments_stops_after_ten_pages() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    for i in 0..1050 {
        t.fake.add_comment(REPO, 7, HUMAN_LOGIN, &format!("c{i}"));
    }

    let comments = t.client.list_comments(REPO, 7).await.expect("comments");

    assert_eq!(comments.len(), 1000);
    assert_eq!(
        t.requests_to(Method::GET, "/repos/acme/shop/issues/7/comments")
            .len(),
        10
    );
}

#[tokio::test]
async fn reacting_twice_leaves_one_eyes_reaction_by_the_bot() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);

    t.client
        .add_reaction(REPO, 7, Reaction::Eyes)
        .await
        .expect("first");
    t.client
        .add_reaction(REPO, 7, Reaction::Eyes)
        .await
        .expect("second");

    assert_eq!(
        t.fake.reactions(REPO, 7),
        [(BOT_LOGIN.to_owned(), "eyes".to_owned())]
    );
}

#[tokio::test]
async fn a_malformed_repository_name_fails_before_any_request() {
    let t = start().await;

    for bad in ["acme", "acme/shop/x", "acme/shop?x=1", "/shop", "acme/.."] {
        let error = t.client.get_issue(bad, 1).await.expect_err(bad);
        assert!(
            matches!(error, Error::InvalidRepository { .. }),
            "{bad}: {error:?}"
        );
    }
    assert!(t.fake.requests().is_empty());
}
