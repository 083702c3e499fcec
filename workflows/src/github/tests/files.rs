//! Repository files: the recursive tree and raw blobs, read with the platform token.

use http::Method;

use super::support::{REPO, start};
use crate::github::{Error, Failure};
use testkit::github::{Auth, Fault};

#[tokio::test]
async fn get_tree_lists_every_file_with_its_blob_sha_and_size_but_no_directories() {
    let t = start().await;
    let readme = t.fake.put_file(REPO, "README.md", "# Shop\n");
    let adr = t
        .fake
        .put_file(REPO, "docs/adr/0001-x.md", "# ADR\n\ntext\n");

    let tree = t.client.get_tree(REPO, "main").await.expect("tree");

    let files: Vec<(&str, &str, u64)> = tree
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.blob_sha.as_str(), f.size))
        .collect();
    assert_eq!(
        files,
        [
            ("README.md", readme.as_str(), 7),
            ("docs/adr/0001-x.md", adr.as_str(), 12)
        ]
    );
    assert!(!tree.truncated);
    let asked = t.requests_to(Method::GET, "/repos/acme/shop/git/trees/main");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].query.as_deref(), Some("recursive=1"));
    assert_eq!(t.auths(), [Auth::Platform]);
}

#[tokio::test]
async fn a_truncated_tree_says_so() {
    let t = start().await;
    t.fake.put_file(REPO, "README.md", "x");
    t.fake.truncate_tree(REPO, true);
    assert!(t.client.get_tree(REPO, "main").await.unwrap().truncated);
}

#[tokio::test]
async fn get_blob_text_reads_the_raw_content_and_a_missing_blob_is_not_found() {
    let t = start().await;
    let sha = t.fake.put_file(REPO, "docs/a.md", "# Über\n\nText ✓\n");

    let text = t.client.get_blob_text(REPO, &sha).await.expect("blob");

    assert_eq!(text, "# Über\n\nText ✓\n");
    let missing = t
        .client
        .get_blob_text(REPO, "0000000000000000000000000000000000000000")
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::GetBlob { .. }), "{missing:?}");
    assert_eq!(missing.classify(), Failure::NotFound);
    let bad = t.client.get_blob_text(REPO, "../x").await.unwrap_err();
    assert!(matches!(bad, Error::InvalidRef { .. }), "{bad:?}");
}

#[tokio::test]
async fn a_server_error_on_the_tree_is_retried_inside_the_client() {
    let t = start().await;
    t.fake.put_file(REPO, "README.md", "x");
    t.fake.fail_next(
        Method::GET,
        "/repos/acme/shop/git/trees/",
        Fault::ServerError(502),
        2,
    );
    let tree = t.client.get_tree(REPO, "main").await.expect("third try");
    assert_eq!(tree.files.len(), 1);
    assert_eq!(
        t.requests_to(Method::GET, "/repos/acme/shop/git/trees/main")
            .len(),
        3
    );
}
