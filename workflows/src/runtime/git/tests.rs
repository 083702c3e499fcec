use std::time::Duration;

use testkit::git::{Access, GitServer};

use super::*;

fn settings(token: Option<String>) -> GitSettings {
    GitSettings {
        read_token: token.map(Token::new),
        user_name: "codex-bot".into(),
        user_email: "codex-bot@users.noreply.github.com".into(),
        timeout: Duration::from_secs(60),
    }
}

fn temp() -> PathBuf {
    std::env::temp_dir().join(format!("ck8s-gittest-{}", uuid::Uuid::new_v4().simple()))
}

#[tokio::test]
async fn a_new_work_branch_starts_from_the_default_branch_with_the_read_token_kept_out_of_the_checkout()
 {
    let server = GitServer::start().await.unwrap();
    let main = server
        .create_repo("acme/shop", &[("README.md", "hi\n"), ("src/lib.rs", "")])
        .unwrap();
    let token = server.grant("platform", Access::Read);
    let root = temp();
    let repo = root.join("run-1/repo");
    let prepared = Mirrors::default()
        .checkout(
            &settings(Some(token.clone())),
            &CheckoutParams {
                root: &root,
                repository: "acme/shop",
                clone_url: &server.clone_url("acme/shop"),
                default_branch: "main",
                branch: "codex/issue-7",
                repo_dir: &repo,
            },
        )
        .await
        .unwrap();
    assert_eq!(prepared.base, main);
    let t = Duration::from_secs(30);
    assert_eq!(
        git(&repo, &["rev-parse", "HEAD"], None, t).await.unwrap(),
        main
    );
    assert_eq!(
        git(&repo, &["symbolic-ref", "--short", "HEAD"], None, t)
            .await
            .unwrap(),
        "codex/issue-7"
    );
    assert_eq!(
        git(&repo, &["config", "user.name"], None, t).await.unwrap(),
        "codex-bot"
    );
    let fetches = server.fetches();
    assert!(
        !fetches.is_empty() && fetches.iter().all(|f| f.grant == "platform"),
        "{fetches:?}"
    );
    let config = std::fs::read_to_string(repo.join(".git/config")).unwrap();
    assert!(!config.contains(&token), "{config}");
    let mirror_config =
        std::fs::read_to_string(root.join("mirrors/acme__shop.git/config")).unwrap();
    assert!(!mirror_config.contains(&token), "{mirror_config}");

    assert!(
        changed_files(&repo, &prepared.base, t)
            .await
            .unwrap()
            .is_empty()
    );
    std::fs::write(repo.join("src/lib.rs"), "pub fn a() {}\n").unwrap();
    git(&repo, &["commit", "-qam", "a"], None, t).await.unwrap();
    std::fs::write(repo.join("README.md"), "changed\n").unwrap();
    std::fs::write(repo.join("new.txt"), "n").unwrap();
    assert_eq!(
        changed_files(&repo, &prepared.base, t).await.unwrap(),
        ["README.md", "new.txt", "src/lib.rs"],
        "committed, unstaged and untracked changes all count"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn an_existing_branch_starts_from_its_head_and_a_refused_read_token_fails_the_checkout() {
    let server = GitServer::start().await.unwrap();
    server
        .create_repo("acme/shop", &[("README.md", "hi\n")])
        .unwrap();
    let head = server
        .commit(
            "acme/shop",
            "codex/issue-7",
            &[("a.txt", "a")],
            "agent work",
        )
        .unwrap();
    let token = server.grant("platform", Access::Read);
    let root = temp();
    let mirrors = Mirrors::default();
    let url = server.clone_url("acme/shop");
    let prepared = mirrors
        .checkout(
            &settings(Some(token)),
            &CheckoutParams {
                root: &root,
                repository: "acme/shop",
                clone_url: &url,
                default_branch: "main",
                branch: "codex/issue-7",
                repo_dir: &root.join("r1/repo"),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        prepared.base, head,
        "a revise continues the pull request's head"
    );

    let refused = mirrors
        .checkout(
            &settings(Some("wrong".into())),
            &CheckoutParams {
                root: &root,
                repository: "acme/shop",
                clone_url: &url,
                default_branch: "main",
                branch: "x",
                repo_dir: &root.join("r2/repo"),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, GitError::Failed { .. }), "{refused}");
    assert!(!refused.to_string().contains("wrong"), "{refused}");
    let _ = std::fs::remove_dir_all(&root);
}
