//! The fake's in-memory GitHub: threads, comments, reactions, labels, repository files, recorded
//! requests, armed faults.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chrono::{DateTime, Utc};
use http::Method;

use super::server::{Fault, RecordedRequest};

/// An Issue or pull request.
#[derive(Clone, Debug)]
pub(super) struct Thread {
    pub(super) id: u64,
    pub(super) number: u64,
    pub(super) title: String,
    pub(super) body: Option<String>,
    pub(super) open: bool,
    pub(super) labels: Vec<String>,
    pub(super) author: String,
    pub(super) pull: Option<PullRefs>,
    pub(super) created_at: DateTime<Utc>,
}

/// The refs of a pull request.
#[derive(Clone, Debug)]
pub(super) struct PullRefs {
    pub(super) head_ref: String,
    pub(super) head_sha: String,
    pub(super) base_ref: String,
}

#[derive(Clone, Debug)]
pub(super) struct StoredComment {
    pub(super) id: u64,
    pub(super) repo: String,
    pub(super) number: u64,
    pub(super) body: String,
    pub(super) author: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(super) struct StoredReaction {
    pub(super) id: u64,
    pub(super) repo: String,
    pub(super) number: u64,
    pub(super) user: String,
    pub(super) content: String,
    pub(super) created_at: DateTime<Utc>,
}

/// A repository label; GitHub creates one when a new name is added to an Issue.
#[derive(Clone, Debug)]
pub(super) struct RepoLabel {
    pub(super) id: u64,
    pub(super) name: String,
    pub(super) color: String,
}

#[derive(Debug)]
struct ArmedFault {
    method: Method,
    path_prefix: String,
    fault: Fault,
    remaining: u32,
}

/// Everything the fake knows; guarded by one mutex, never held across an await.
#[derive(Debug, Default)]
pub(super) struct State {
    next_id: u64,
    threads: BTreeMap<(String, u64), Thread>,
    comments: BTreeMap<u64, StoredComment>,
    reactions: Vec<StoredReaction>,
    repo_labels: BTreeMap<(String, String), RepoLabel>,
    requests: Vec<RecordedRequest>,
    faults: Vec<ArmedFault>,
    /// Repository files: trees and blobs.
    pub(super) files: super::files::Files,
    /// Clone URLs by lowercase `owner/name`, as a test set them.
    pub(super) clone_urls: BTreeMap<String, String>,
    /// Branch heads a test announced (lowercase repository, branch), for new pull requests.
    pub(super) heads: BTreeMap<(String, String), String>,
    /// Repository webhooks by lowercase `owner/name`.
    hooks: BTreeMap<String, Vec<super::hooks::StoredHook>>,
    /// Actions sealing keys by lowercase `owner/name`.
    actions_keys: BTreeMap<String, super::secrets::RepositoryKey>,
    /// Opened Actions secret values by (lowercase `owner/name`, uppercase name).
    actions_secrets: BTreeMap<(String, String), Vec<u8>>,
}

impl State {
    /// A fresh id for a new object.
    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1_000_000 + self.next_id
    }

    /// The Actions sealing key of `repo`, made on first use.
    pub(super) fn actions_key(&mut self, repo: &str) -> super::secrets::RepositoryKey {
        if let Some(key) = self.actions_keys.get(&repo.to_lowercase()) {
            return key.clone();
        }
        let key = super::secrets::RepositoryKey::generate(self.next_id());
        self.actions_keys.insert(repo.to_lowercase(), key.clone());
        key
    }

    /// Replaces the Actions sealing key of `repo` (values sealed for the old one are refused).
    pub(super) fn rotate_actions_key(&mut self, repo: &str) {
        let key = super::secrets::RepositoryKey::generate(self.next_id());
        self.actions_keys.insert(repo.to_lowercase(), key);
    }

    /// Stores an opened Actions secret value; true when the secret is new.
    pub(super) fn set_actions_secret(&mut self, repo: &str, name: &str, value: Vec<u8>) -> bool {
        let key = (repo.to_lowercase(), name.to_uppercase());
        self.actions_secrets.insert(key, value).is_none()
    }

    /// An opened Actions secret value.
    pub(super) fn actions_secret(&self, repo: &str, name: &str) -> Option<&Vec<u8>> {
        self.actions_secrets
            .get(&(repo.to_lowercase(), name.to_uppercase()))
    }

    /// The webhooks of `repo`.
    pub(super) fn hooks_of(&self, repo: &str) -> &[super::hooks::StoredHook] {
        self.hooks
            .get(&repo.to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The webhooks of `repo`, to change.
    pub(super) fn hooks_mut(&mut self, repo: &str) -> &mut Vec<super::hooks::StoredHook> {
        self.hooks.entry(repo.to_lowercase()).or_default()
    }

    pub(super) fn new_thread(
        &mut self,
        repo: &str,
        number: u64,
        title: &str,
        author: &str,
    ) -> &mut Thread {
        let thread = Thread {
            id: self.next_id(),
            number,
            title: title.to_owned(),
            body: None,
            open: true,
            labels: Vec::new(),
            author: author.to_owned(),
            pull: None,
            created_at: Utc::now(),
        };
        match self.threads.entry((repo.to_lowercase(), number)) {
            Entry::Occupied(mut slot) => {
                slot.insert(thread);
                slot.into_mut()
            }
            Entry::Vacant(slot) => slot.insert(thread),
        }
    }

    pub(super) fn thread(&self, repo: &str, number: u64) -> Option<&Thread> {
        self.threads.get(&(repo.to_lowercase(), number))
    }

    pub(super) fn thread_mut(&mut self, repo: &str, number: u64) -> Option<&mut Thread> {
        self.threads.get_mut(&(repo.to_lowercase(), number))
    }

    pub(super) fn threads(&self, repo: &str) -> impl Iterator<Item = &Thread> {
        let repo = repo.to_lowercase();
        self.threads
            .iter()
            .filter(move |((r, _), _)| *r == repo)
            .map(|(_, thread)| thread)
    }

    /// The repository label with this name (case-insensitive), created if new.
    /// Repository names are case-insensitive, as on GitHub.
    pub(super) fn repo_label(&mut self, repo: &str, name: &str) -> RepoLabel {
        let key = (repo.to_lowercase(), name.to_lowercase());
        if let Some(label) = self.repo_labels.get(&key) {
            return label.clone();
        }
        let label = RepoLabel {
            id: self.next_id(),
            name: name.to_owned(),
            color: "ededed".to_owned(),
        };
        self.repo_labels.insert(key, label.clone());
        label
    }

    /// Adds labels GitHub-style: names compare case-insensitively and are never duplicated.
    pub(super) fn add_labels(
        &mut self,
        repo: &str,
        number: u64,
        names: &[String],
    ) -> Option<Vec<String>> {
        let canonical: Vec<String> = names
            .iter()
            .map(|name| self.repo_label(repo, name).name)
            .collect();
        let thread = self.thread_mut(repo, number)?;
        for name in canonical {
            if !thread
                .labels
                .iter()
                .any(|have| have.eq_ignore_ascii_case(&name))
            {
                thread.labels.push(name);
            }
        }
        Some(thread.labels.clone())
    }

    /// Removes a label; `None` when the thread or the label is not there (GitHub answers 404).
    pub(super) fn remove_label(
        &mut self,
        repo: &str,
        number: u64,
        name: &str,
    ) -> Option<Vec<String>> {
        let thread = self.thread_mut(repo, number)?;
        let index = thread
            .labels
            .iter()
            .position(|have| have.eq_ignore_ascii_case(name))?;
        thread.labels.remove(index);
        Some(thread.labels.clone())
    }

    pub(super) fn add_comment(
        &mut self,
        repo: &str,
        number: u64,
        author: &str,
        body: &str,
    ) -> Option<StoredComment> {
        self.thread(repo, number)?;
        let now = Utc::now();
        let comment = StoredComment {
            id: self.next_id(),
            repo: repo.to_lowercase(),
            number,
            body: body.to_owned(),
            author: author.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.comments.insert(comment.id, comment.clone());
        Some(comment)
    }

    pub(super) fn comment(&self, repo: &str, id: u64) -> Option<&StoredComment> {
        self.comments
            .get(&id)
            .filter(|comment| comment.repo.eq_ignore_ascii_case(repo))
    }

    pub(super) fn update_comment(
        &mut self,
        repo: &str,
        id: u64,
        body: &str,
    ) -> Option<StoredComment> {
        let comment = self
            .comments
            .get_mut(&id)
            .filter(|comment| comment.repo.eq_ignore_ascii_case(repo))?;
        comment.body = body.to_owned();
        comment.updated_at = Utc::now();
        Some(comment.clone())
    }

    /// The comments of a thread, oldest first (ids only grow).
    pub(super) fn comments_of(&self, repo: &str, number: u64) -> Vec<StoredComment> {
        let of_thread = |comment: &&StoredComment| {
            comment.repo.eq_ignore_ascii_case(repo) && comment.number == number
        };
        self.comments.values().filter(of_thread).cloned().collect()
    }

    /// Adds a reaction; the flag says whether it is new (201) or was already there (200).
    pub(super) fn add_reaction(
        &mut self,
        repo: &str,
        number: u64,
        user: &str,
        content: &str,
    ) -> Option<(StoredReaction, bool)> {
        self.thread(repo, number)?;
        let same = |r: &&StoredReaction| {
            r.repo.eq_ignore_ascii_case(repo)
                && r.number == number
                && r.user == user
                && r.content == content
        };
        if let Some(existing) = self.reactions.iter().find(same) {
            return Some((existing.clone(), false));
        }
        let reaction = StoredReaction {
            id: self.next_id(),
            repo: repo.to_lowercase(),
            number,
            user: user.to_owned(),
            content: content.to_owned(),
            created_at: Utc::now(),
        };
        self.reactions.push(reaction.clone());
        Some((reaction, true))
    }

    pub(super) fn reactions_of(&self, repo: &str, number: u64) -> Vec<StoredReaction> {
        let of_thread =
            |r: &&StoredReaction| r.repo.eq_ignore_ascii_case(repo) && r.number == number;
        self.reactions.iter().filter(of_thread).cloned().collect()
    }

    pub(super) fn record(&mut self, request: RecordedRequest) {
        self.requests.push(request);
    }

    pub(super) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.clone()
    }

    pub(super) fn arm(&mut self, method: Method, path_prefix: &str, fault: Fault, times: u32) {
        self.faults.push(ArmedFault {
            method,
            path_prefix: path_prefix.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// The first armed fault matching this request, used up once.
    pub(super) fn take_fault(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let armed = self.faults.iter_mut().find(|armed| {
            armed.remaining > 0 && armed.method == method && path.starts_with(&armed.path_prefix)
        })?;
        armed.remaining -= 1;
        let fault = armed.fault.clone();
        self.faults.retain(|armed| armed.remaining > 0);
        Some(fault)
    }
}
