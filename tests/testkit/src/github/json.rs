//! GitHub's JSON shapes, with every field octocrab's models require and the usual URLs.
//!
//! API URLs sit under the fake's base URL (`{base}/repos/…`), pages under `{base}/{owner}/{repo}/…`,
//! the layout of GitHub Enterprise.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::state::{RepoLabel, StoredComment, StoredReaction, Thread};

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stable numeric id for a login, so the same user always has the same id.
fn user_id(login: &str) -> u64 {
    login.bytes().fold(7_u64, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u64::from(byte))
    }) % 90_000_000
        + 10_000_000
}

/// Percent-encodes one path segment (label names carry `:`, spaces and brackets).
pub(super) fn encode_segment(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A user object (`simple-user`).
pub(super) fn user(base: &str, login: &str) -> Value {
    let id = user_id(login);
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_kgDO{id}"),
        "avatar_url": format!("{base}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
        "site_admin": false,
    })
}

/// A label object.
pub(super) fn label(base: &str, repo: &str, label: &RepoLabel) -> Value {
    json!({
        "id": label.id,
        "node_id": format!("LA_kwDO{}", label.id),
        "url": format!("{base}/repos/{repo}/labels/{}", encode_segment(&label.name)),
        "name": label.name,
        "description": null,
        "color": label.color,
        "default": false,
    })
}

/// A repository object (`full-repository`, the fields octocrab needs); `clone_url` only when a
/// test set one (so the platform checks out only repositories a git server holds).
pub(super) fn repository(base: &str, repo: &str) -> Value {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, repo));
    json!({
        "id": user_id(repo),
        "node_id": format!("R_kgDO{}", user_id(repo)),
        "name": name,
        "full_name": repo,
        "owner": user(base, owner),
        "private": false,
        "html_url": format!("{base}/{repo}"),
        "description": null,
        "fork": false,
        "url": format!("{base}/repos/{repo}"),
        "default_branch": "main",
    })
}

fn state(thread: &Thread) -> &'static str {
    if thread.open { "open" } else { "closed" }
}

/// An Issue object; `labels` are the repository labels on it, `comments` their count.
pub(super) fn issue(
    base: &str,
    repo: &str,
    thread: &Thread,
    labels: &[Value],
    comments: usize,
) -> Value {
    let n = thread.number;
    let api = format!("{base}/repos/{repo}/issues/{n}");
    let page = if thread.pull.is_some() {
        "pull"
    } else {
        "issues"
    };
    let mut issue = json!({
        "id": thread.id,
        "node_id": format!("I_kwDO{}", thread.id),
        "url": api,
        "repository_url": format!("{base}/repos/{repo}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{base}/{repo}/{page}/{n}"),
        "number": n,
        "state": state(thread),
        "state_reason": null,
        "title": thread.title,
        "body": thread.body,
        "user": user(base, &thread.author),
        "labels": labels,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": comments,
        "closed_at": null,
        "author_association": "MEMBER",
        "created_at": time(thread.created_at),
        "updated_at": time(thread.created_at),
    });
    if thread.pull.is_some() {
        issue["pull_request"] = json!({
            "url": format!("{base}/repos/{repo}/pulls/{n}"),
            "html_url": format!("{base}/{repo}/pull/{n}"),
            "diff_url": format!("{base}/{repo}/pull/{n}.diff"),
            "patch_url": format!("{base}/{repo}/pull/{n}.patch"),
        });
    }
    issue
}

/// A pull request object, or `None` when the thread is a plain Issue.
pub(super) fn pull(base: &str, repo: &str, thread: &Thread, labels: &[Value]) -> Option<Value> {
    let refs = thread.pull.as_ref()?;
    let n = thread.number;
    let owner = repo.split_once('/').map_or(repo, |(owner, _)| owner);
    let api = format!("{base}/repos/{repo}/pulls/{n}");
    let side = |git_ref: &str, sha: &str| {
        json!({
            "label": format!("{owner}:{git_ref}"),
            "ref": git_ref,
            "sha": sha,
            "user": user(base, owner),
            "repo": repository(base, repo),
        })
    };
    Some(json!({
        "url": api,
        "id": thread.id,
        "node_id": format!("PR_kwDO{}", thread.id),
        "html_url": format!("{base}/{repo}/pull/{n}"),
        "diff_url": format!("{base}/{repo}/pull/{n}.diff"),
        "patch_url": format!("{base}/{repo}/pull/{n}.patch"),
        "issue_url": format!("{base}/repos/{repo}/issues/{n}"),
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{base}/repos/{repo}/pulls/comments{{/number}}"),
        "comments_url": format!("{base}/repos/{repo}/issues/{n}/comments"),
        "statuses_url": format!("{base}/repos/{repo}/statuses/{}", refs.head_sha),
        "number": n,
        "state": state(thread),
        "locked": false,
        "title": thread.title,
        "user": user(base, &thread.author),
        "body": thread.body,
        "labels": labels,
        "milestone": null,
        "active_lock_reason": null,
        "created_at": time(thread.created_at),
        "updated_at": time(thread.created_at),
        "closed_at": null,
        "merged_at": null,
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(&refs.head_ref, &refs.head_sha),
        "base": side(&refs.base_ref, "0000000000000000000000000000000000000000"),
        "author_association": "MEMBER",
        "auto_merge": null,
        "draft": false,
    }))
}

/// An Issue comment object.
pub(super) fn comment(base: &str, comment: &StoredComment) -> Value {
    let repo = &comment.repo;
    json!({
        "id": comment.id,
        "node_id": format!("IC_kwDO{}", comment.id),
        "url": format!("{base}/repos/{repo}/issues/comments/{}", comment.id),
        "html_url": format!("{base}/{repo}/issues/{}#issuecomment-{}", comment.number, comment.id),
        "issue_url": format!("{base}/repos/{repo}/issues/{}", comment.number),
        "body": comment.body,
        "user": user(base, &comment.author),
        "author_association": "MEMBER",
        "created_at": time(comment.created_at),
        "updated_at": time(comment.updated_at),
    })
}

/// A reaction object.
pub(super) fn reaction(base: &str, reaction: &StoredReaction) -> Value {
    json!({
        "id": reaction.id,
        "node_id": format!("REA_lADO{}", reaction.id),
        "user": user(base, &reaction.user),
        "content": reaction.content,
        "created_at": time(reaction.created_at),
    })
}

/// GitHub's error body.
pub(super) fn error(message: &str) -> Value {
    json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
    })
}
