//! The staff directory service: users (pre-registered by email, no self-signup), projects,
//! memberships and repositories bound to projects with write-only tokens.
//!
//! The staff API and `codex-k8s admin` both call these functions; neither writes the tables itself.
//! Input is parsed into newtypes at the boundary ([`Email`], [`Slug`], [`RepoName`]); constraint
//! violations become [`DirectoryError::Conflict`] with a stable code, by constraint name, here only.
//! Every write is audited in `flow_events` ([`Actor`]) in the transaction that makes it (the kinds
//! are listed in `docs/runbook.md`, "The administration audit"); the audit names users by id and
//! GitHub login, never by email (it outlives a removed user), and repositories by id and full
//! name, never with their token. An event about a project carries `project_id` in its detail,
//! which puts it in that project's audit log.

use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::{
    policy::ProjectRole,
    store::{
        agent_run,
        directory::{
            self as store, InsertUserParams, MemberRow, NewProject, ProjectRow, RepositoryRow,
            UpdateProjectParams, UpdateUserParams, UserRow,
        },
        flow_event,
    },
    vault::{Plain, Vault, VaultError},
};

/// Why a directory operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// An input is invalid; names the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The change conflicts with existing data; `code` is stable (`email-taken`, `login-taken`,
    /// `slug-taken`, `repository-bound`, `owner-exists`, `owner-not-removable`,
    /// `repository-has-runs`, `project-has-live-runs`, `project-has-pending-releases`,
    /// `deliveries-being-routed`).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// A referenced record does not exist; names what.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A token was given but no vault keys are configured (`CK8S_TOKEN_KEYS`).
    #[error("repository tokens cannot be stored: no token encryption keys are configured")]
    NoVault,
    /// Sealing or opening a token failed.
    #[error("repository token")]
    Vault(#[source] VaultError),
    /// The code host refused or did not answer (its status and message are in the source).
    #[error("the code host")]
    CodeHost(#[source] crate::github::Error),
    /// The store failed.
    #[error("directory store")]
    Store(#[source] crate::Error),
}

impl From<crate::Error> for DirectoryError {
    fn from(e: crate::Error) -> Self {
        let constraint = match &e {
            crate::Error::Database {
                source: sqlx::Error::Database(d),
                ..
            } => d.constraint().map(str::to_owned),
            _ => None,
        };
        let conflict = |code, message: &str| DirectoryError::Conflict {
            code,
            message: message.to_owned(),
        };
        match constraint.as_deref() {
            Some("users_email_key") => conflict("email-taken", "a user with this email exists"),
            Some("users_github_login_key") => {
                conflict("login-taken", "another user has this GitHub login")
            }
            Some("users_one_owner") => conflict("owner-exists", "the platform has an owner"),
            Some("projects_slug_key") => conflict("slug-taken", "a project with this slug exists"),
            Some("repositories_full_name_key") => {
                conflict("repository-bound", "this repository is bound already")
            }
            _ => DirectoryError::Store(e),
        }
    }
}

/// Result of the directory service.
pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;

fn invalid(field: &'static str, message: impl Into<String>) -> DirectoryError {
    DirectoryError::Invalid {
        field,
        message: message.into(),
    }
}

/// An email address (lowercased; one `@`, no spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(s.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'));
        if ok {
            Ok(Self(s))
        } else {
            Err(invalid("email", "is not an email address"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A GitHub login (lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    /// Parses a login: 1–39 letters, digits or single hyphens.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let ok = (1..=39).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err(invalid("github_login", "is not a GitHub login"))
        }
    }

    /// The login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A project slug: lowercase letters, digits and hyphens, 1–63, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug.
    pub fn parse(s: &str) -> Result<Self> {
        let ok = (1..=63).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(invalid("slug", "must be 1-63 of a-z, 0-9 and '-'"))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A repository `owner/name` (lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoName(String);

impl RepoName {
    /// Parses `owner/name`.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let part = |p: &str| {
            (1..=100).contains(&p.len())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.split_once('/') {
            Some((o, n)) if part(o) && part(n) => Ok(Self(s)),
            _ => Err(invalid("full_name", "must be owner/name")),
        }
    }

    /// `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A project role from its wire name.
pub fn parse_role(s: &str) -> Result<ProjectRole> {
    match s {
        "read" => Ok(ProjectRole::Read),
        "read_write" => Ok(ProjectRole::ReadWrite),
        "admin" => Ok(ProjectRole::Admin),
        _ => Err(invalid("role", "must be read, read_write or admin")),
    }
}

/// The wire name of a project role.
pub fn role_name(role: ProjectRole) -> &'static str {
    match role {
        ProjectRole::Read => "read",
        ProjectRole::ReadWrite => "read_write",
        ProjectRole::Admin => "admin",
    }
}

/// Creates the first platform owner; repeating it for the same email returns that owner (and
/// writes nothing). There is no user to act yet: audited as `user_created` by [`Actor::Cli`].
pub async fn bootstrap(pool: &PgPool, email: &Email, login: Option<&Login>) -> Result<UserRow> {
    if let Some(existing) = store::get_user_by_email(pool, email.as_str()).await?
        && existing.is_platform_owner
    {
        return Ok(existing);
    }
    add_user(pool, email, login, Platform::Owner, Actor::Cli).await
}

/// A platform role given at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// No platform role (project roles only).
    None,
    /// Platform admin.
    Admin,
    /// The platform owner (only `bootstrap`).
    Owner,
}

/// The wire name of a user's platform role (`owner`, `admin` or `none`).
fn platform_role(u: &UserRow) -> &'static str {
    if u.is_platform_owner {
        "owner"
    } else if u.is_platform_admin {
        "admin"
    } else {
        "none"
    }
}

/// The fields whose value differs, as `{field: {"from": …, "to": …}}`.
fn changes(
    fields: impl IntoIterator<Item = (&'static str, Value, Value)>,
) -> serde_json::Map<String, Value> {
    fields
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| (field.to_owned(), json!({ "from": from, "to": to })))
        .collect()
}

/// Registers a user by email; audited as `user_created` (id, GitHub login, platform role; never
/// the email).
pub async fn add_user(
    pool: &PgPool,
    email: &Email,
    login: Option<&Login>,
    platform: Platform,
    actor: Actor<'_>,
) -> Result<UserRow> {
    let params = InsertUserParams {
        email: email.as_str(),
        github_login: login.map(Login::as_str),
        owner: platform == Platform::Owner,
        admin: platform == Platform::Admin,
    };
    let mut tx = begin(pool, "directory::add_user begin").await?;
    let row = store::insert_user(&mut *tx, &params).await?;
    let what = json!({
        "user_id": row.id,
        "github_login": row.github_login,
        "platform_role": platform_role(&row),
    });
    audit(&mut tx, "user_created", actor, what).await?;
    commit(tx, "directory::add_user commit").await?;
    Ok(row)
}

/// Changes a user's admin flag, login or learning-mode toggle; audited as `user_updated` with the
/// fields that changed (`platform_role`, `github_login`, `learning_mode_override`, each from/to),
/// nothing when none did.
pub async fn update_user(
    pool: &PgPool,
    id: Uuid,
    admin: Option<bool>,
    login: Option<&Login>,
    learning_mode_override: Option<Option<bool>>,
    actor: Actor<'_>,
) -> Result<UserRow> {
    let params = UpdateUserParams {
        admin,
        github_login: login.map(Login::as_str),
        learning_mode_override,
    };
    let mut tx = begin(pool, "directory::update_user begin").await?;
    if !store::lock_user(&mut *tx, id).await? {
        return Err(DirectoryError::NotFound("user"));
    }
    let before = store::get_user(&mut *tx, id)
        .await?
        .ok_or(DirectoryError::NotFound("user"))?;
    let after = store::update_user(&mut *tx, id, &params)
        .await?
        .ok_or(DirectoryError::NotFound("user"))?;
    let changed = changes([
        (
            "platform_role",
            json!(platform_role(&before)),
            json!(platform_role(&after)),
        ),
        (
            "github_login",
            json!(before.github_login),
            json!(after.github_login),
        ),
        (
            "learning_mode_override",
            json!(before.learning_mode_override),
            json!(after.learning_mode_override),
        ),
    ]);
    if !changed.is_empty() {
        let what = json!({
            "user_id": after.id,
            "github_login": after.github_login,
            "changes": changed,
        });
        audit(&mut tx, "user_updated", actor, what).await?;
    }
    commit(tx, "directory::update_user commit").await?;
    Ok(after)
}

/// A user by id or email (what the admin CLI accepts).
pub async fn find_user(pool: &PgPool, key: &str) -> Result<UserRow> {
    let found = match key.parse::<Uuid>() {
        Ok(id) => store::get_user(pool, id).await?,
        Err(_) => store::get_user_by_email(pool, Email::parse(key)?.as_str()).await?,
    };
    found.ok_or(DirectoryError::NotFound("user"))
}

/// Project settings.
#[derive(Debug, Clone)]
pub struct ProjectSettings {
    /// Display name.
    pub name: String,
    /// `ru`/`en`, or none for the platform default.
    pub locale: Option<String>,
    /// Learning-mode default, or none for the platform default.
    pub learning_mode_default: Option<bool>,
    /// Concurrent stage runs (1–100).
    pub max_active_runs: i32,
}

fn check_locale(locale: Option<&str>) -> Result<()> {
    match locale {
        None | Some("en" | "ru") => Ok(()),
        Some(_) => Err(invalid("locale", "must be en or ru")),
    }
}

fn check_slots(n: i32) -> Result<()> {
    if (1..=100).contains(&n) {
        Ok(())
    } else {
        Err(invalid("max_active_runs", "must be 1-100"))
    }
}

/// Creates a project; audited as `project_created` with its settings.
pub async fn add_project(
    pool: &PgPool,
    slug: &Slug,
    s: &ProjectSettings,
    actor: Actor<'_>,
) -> Result<ProjectRow> {
    check_locale(s.locale.as_deref())?;
    check_slots(s.max_active_runs)?;
    if s.name.trim().is_empty() || s.name.len() > 200 {
        return Err(invalid("name", "must be 1-200 characters"));
    }
    let p = NewProject {
        slug: slug.as_str(),
        name: s.name.trim(),
        locale: s.locale.as_deref(),
        learning_mode_default: s.learning_mode_default,
        max_active_runs: s.max_active_runs,
    };
    let mut tx = begin(pool, "directory::add_project begin").await?;
    let row = store::insert_project(&mut *tx, &p).await?;
    let what = json!({
        "project_id": row.id,
        "project": row.slug,
        "name": row.name,
        "locale": row.locale,
        "learning_mode_default": row.learning_mode_default,
        "max_active_runs": row.max_active_runs,
    });
    audit(&mut tx, "project_created", actor, what).await?;
    commit(tx, "directory::add_project commit").await?;
    Ok(row)
}

/// A project by slug.
pub async fn project(pool: &PgPool, slug: &str) -> Result<ProjectRow> {
    store::get_project(pool, slug)
        .await?
        .ok_or(DirectoryError::NotFound("project"))
}

/// Changes a project's settings; audited as `project_updated` with the settings that changed
/// (`name`, `locale`, `learning_mode_default`, `max_active_runs`, each from/to), nothing when
/// none did.
pub async fn update_project(
    pool: &PgPool,
    id: Uuid,
    change: &UpdateProjectParams<'_>,
    actor: Actor<'_>,
) -> Result<ProjectRow> {
    check_locale(change.locale.flatten())?;
    if let Some(n) = change.max_active_runs {
        check_slots(n)?;
    }
    if change
        .name
        .is_some_and(|n| n.trim().is_empty() || n.len() > 200)
    {
        return Err(invalid("name", "must be 1-200 characters"));
    }
    let mut tx = begin(pool, "directory::update_project begin").await?;
    if !store::lock_project_for_change(&mut *tx, id).await? {
        return Err(DirectoryError::NotFound("project"));
    }
    let before = store::get_project_by_id(&mut *tx, id)
        .await?
        .ok_or(DirectoryError::NotFound("project"))?;
    let after = store::update_project(&mut *tx, id, change)
        .await?
        .ok_or(DirectoryError::NotFound("project"))?;
    let changed = changes([
        ("name", json!(before.name), json!(after.name)),
        ("locale", json!(before.locale), json!(after.locale)),
        (
            "learning_mode_default",
            json!(before.learning_mode_default),
            json!(after.learning_mode_default),
        ),
        (
            "max_active_runs",
            json!(before.max_active_runs),
            json!(after.max_active_runs),
        ),
    ]);
    if !changed.is_empty() {
        let what = json!({
            "project_id": after.id,
            "project": after.slug,
            "changes": changed,
        });
        audit(&mut tx, "project_updated", actor, what).await?;
    }
    commit(tx, "directory::update_project commit").await?;
    Ok(after)
}

/// Gives a user a role in a project (replacing the previous one) and returns the membership.
/// Audited as `member_added` for a new member, `member_updated` when the role or the member's
/// learning-mode override changed (nothing otherwise), with who (`user_id`, `github_login`),
/// `role` and `previous_role`, `learning_mode_override` and `previous_learning_mode_override`.
pub async fn set_member(
    pool: &PgPool,
    project: &ProjectRow,
    user_id: Uuid,
    role: ProjectRole,
    learning_mode_override: Option<Option<bool>>,
    actor: Actor<'_>,
) -> Result<MemberRow> {
    let mut tx = begin(pool, "directory::set_member begin").await?;
    // The user's row serializes changes of their memberships, so `previous_role` is the one replaced.
    if !store::lock_user(&mut *tx, user_id).await? {
        return Err(DirectoryError::NotFound("user"));
    }
    let before = store::get_member(&mut *tx, project.id, user_id).await?;
    store::set_member(
        &mut *tx,
        project.id,
        user_id,
        role_name(role),
        learning_mode_override,
    )
    .await?;
    let after = store::get_member(&mut *tx, project.id, user_id)
        .await?
        .ok_or(DirectoryError::NotFound("member"))?;
    let kind = match &before {
        None => Some("member_added"),
        Some(b)
            if b.role != after.role || b.learning_mode_override != after.learning_mode_override =>
        {
            Some("member_updated")
        }
        Some(_) => None,
    };
    if let Some(kind) = kind {
        let what = json!({
            "project_id": project.id,
            "project": project.slug,
            "user_id": user_id,
            "github_login": after.github_login,
            "role": after.role,
            "previous_role": before.as_ref().map(|b| &b.role),
            "learning_mode_override": after.learning_mode_override,
            "previous_learning_mode_override": before.as_ref().and_then(|b| b.learning_mode_override),
        });
        audit(&mut tx, kind, actor, what).await?;
    }
    commit(tx, "directory::set_member commit").await?;
    Ok(after)
}

fn seal_for(
    vault: Option<&Vault>,
    repository_id: Uuid,
    token: &Plain,
) -> Result<crate::vault::Sealed> {
    let vault = vault.ok_or(DirectoryError::NoVault)?;
    if token.expose().trim().is_empty() || token.expose().len() > 1024 {
        return Err(invalid("token", "must be 1-1024 characters"));
    }
    vault
        .seal(token, repository_id.as_bytes())
        .map_err(DirectoryError::Vault)
}

/// Binds a repository to a project, with its token sealed (never stored in the clear). Audited as
/// `repository_bound` (repository id and full name, default branch, whether a token is set and its
/// key id; never the token).
pub async fn bind_repository(
    pool: &PgPool,
    vault: Option<&Vault>,
    project: &ProjectRow,
    name: &RepoName,
    default_branch: &str,
    token: Option<&Plain>,
    actor: Actor<'_>,
) -> Result<RepositoryRow> {
    if default_branch.trim().is_empty() || default_branch.len() > 255 {
        return Err(invalid("default_branch", "must be 1-255 characters"));
    }
    if token.is_some() && vault.is_none() {
        return Err(DirectoryError::NoVault);
    }
    let mut tx = begin(pool, "directory::bind_repository begin").await?;
    let mut row =
        store::insert_repository(&mut *tx, project.id, name.as_str(), default_branch.trim())
            .await?;
    if let Some(token) = token {
        let sealed = seal_for(vault, row.id, token)?;
        store::set_repository_token(&mut *tx, row.id, &sealed, None).await?;
        row = store::get_repository(&mut *tx, row.id)
            .await?
            .ok_or(DirectoryError::NotFound("repository"))?;
    }
    let what = json!({
        "repository_id": row.id,
        "project_id": project.id,
        "project": project.slug,
        "repository": row.full_name,
        "default_branch": row.default_branch,
        "token_set": row.token_key_id.is_some(),
        "token_key_id": row.token_key_id,
    });
    audit(&mut tx, "repository_bound", actor, what).await?;
    commit(tx, "directory::bind_repository commit").await?;
    Ok(row)
}

/// Creates or repairs a bound repository's webhook to the platform's ingress through `host`
/// (`events` signed with `secret`), then audits it as `repository_webhook_set` (repository id and
/// name, the code host's hook id, whether it was created, the URL and events; never the secret).
/// A repository that is not bound is refused before any call.
pub async fn set_webhook(
    pool: &PgPool,
    host: &dyn crate::provider::RepositoryProvider,
    name: &RepoName,
    spec: &crate::github::WebhookSpec<'_>,
    actor: Actor<'_>,
) -> Result<crate::github::WebhookSetup> {
    let bound = store::binding(pool, name.as_str())
        .await?
        .ok_or(DirectoryError::NotFound("repository"))?;
    let setup = host
        .ensure_webhook(name.as_str(), spec)
        .await
        .map_err(DirectoryError::CodeHost)?;
    let mut tx = begin(pool, "directory::set_webhook begin").await?;
    let what = json!({
        "repository_id": bound.repository_id,
        "project_id": bound.project_id,
        "repository": name.as_str(),
        "hook_id": setup.id,
        "created": setup.created,
        "url": spec.url,
        "events": spec.events,
    });
    audit(&mut tx, "repository_webhook_set", actor, what).await?;
    commit(tx, "directory::set_webhook commit").await?;
    Ok(setup)
}

/// Replaces a repository's token (rebinds it to new credentials). Audited as
/// `repository_token_set` (repository id and full name, the new key id; never the token).
pub async fn set_repository_token(
    pool: &PgPool,
    vault: Option<&Vault>,
    repository_id: Uuid,
    token: &Plain,
    actor: Actor<'_>,
) -> Result<RepositoryRow> {
    let sealed = seal_for(vault, repository_id, token)?;
    let mut tx = begin(pool, "directory::set_repository_token begin").await?;
    if !store::set_repository_token(&mut *tx, repository_id, &sealed, None).await? {
        return Err(DirectoryError::NotFound("repository"));
    }
    let row = store::get_repository(&mut *tx, repository_id)
        .await?
        .ok_or(DirectoryError::NotFound("repository"))?;
    let what = json!({
        "repository_id": row.id,
        "project_id": row.project_id,
        "repository": row.full_name,
        "token_key_id": row.token_key_id,
    });
    audit(&mut tx, "repository_token_set", actor, what).await?;
    commit(tx, "directory::set_repository_token commit").await?;
    Ok(row)
}

/// A repository's token, opened (for the code that calls GitHub with it; never for a response).
pub async fn repository_token(
    pool: &PgPool,
    vault: &Vault,
    repository_id: Uuid,
) -> Result<Option<Plain>> {
    match store::get_repository_token(pool, repository_id).await? {
        None => Ok(None),
        Some(sealed) => vault
            .open(&sealed, repository_id.as_bytes())
            .map(Some)
            .map_err(DirectoryError::Vault),
    }
}

/// Reseals every repository token sealed under another key than the vault's active one; returns
/// how many were rewritten. Safe to run while tokens change: each write is guarded by the old key id.
/// Each rewrite is audited as `repository_token_resealed` (repository id and full name, old and
/// new key id) in its own transaction.
pub async fn reencrypt_tokens(pool: &PgPool, vault: &Vault, actor: Actor<'_>) -> Result<u64> {
    let mut after = None;
    let mut rewritten = 0;
    loop {
        let batch = store::list_sealed_except(pool, vault.active_key_id(), after, 100).await?;
        let Some((last, _)) = batch.last() else {
            return Ok(rewritten);
        };
        after = Some(*last);
        for (id, sealed) in &batch {
            let plain = vault
                .open(sealed, id.as_bytes())
                .map_err(DirectoryError::Vault)?;
            let resealed = vault
                .seal(&plain, id.as_bytes())
                .map_err(DirectoryError::Vault)?;
            let mut tx = begin(pool, "directory::reencrypt_tokens begin").await?;
            if !store::set_repository_token(&mut *tx, *id, &resealed, Some(&sealed.key_id)).await? {
                continue;
            }
            if let Some(row) = store::get_repository(&mut *tx, *id).await? {
                let what = json!({
                    "repository_id": row.id,
                    "project_id": row.project_id,
                    "repository": row.full_name,
                    "token_key_id": row.token_key_id,
                    "previous_token_key_id": sealed.key_id,
                });
                audit(&mut tx, "repository_token_resealed", actor, what).await?;
            }
            commit(tx, "directory::reencrypt_tokens commit").await?;
            rewritten += 1;
        }
    }
}

/// Who made an administrative change; its audit event names them in `actor` (a GitHub login, or
/// `cli`) and `actor_id` (a user id, or null).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A staff user, through the staff API.
    Staff {
        /// The staff user's id.
        id: Uuid,
        /// Their GitHub login, once bound.
        login: Option<&'a str>,
    },
    /// `codex-k8s admin`: an operator with database access, who is no platform user (`bootstrap`
    /// runs before any user exists). Recorded as actor `cli`, actor id null.
    Cli,
}

impl<'a> Actor<'a> {
    /// What the audit's `actor` field records: the staff user's GitHub login (none before their
    /// first login), or `cli`.
    pub fn name(&self) -> Option<&'a str> {
        match *self {
            Actor::Staff { login, .. } => login,
            Actor::Cli => Some("cli"),
        }
    }

    /// What the audit's `actor_id` field records: the staff user's id (none for the CLI).
    pub fn user_id(&self) -> Option<Uuid> {
        match *self {
            Actor::Staff { id, .. } => Some(id),
            Actor::Cli => None,
        }
    }
}

async fn begin(pool: &PgPool, op: &'static str) -> Result<Transaction<'static, Postgres>> {
    pool.begin()
        .await
        .map_err(|source| crate::Error::Database { op, source }.into())
}

async fn commit(tx: Transaction<'static, Postgres>, op: &'static str) -> Result<()> {
    tx.commit()
        .await
        .map_err(|source| crate::Error::Database { op, source }.into())
}

/// Appends the audit event `kind` for `actor` (detail fields of `what` plus the actor).
async fn audit(
    tx: &mut Transaction<'static, Postgres>,
    kind: &str,
    actor: Actor<'_>,
    what: Value,
) -> Result<()> {
    let mut detail = what;
    detail["actor"] = json!(actor.name());
    detail["actor_id"] = json!(actor.user_id());
    flow_event::insert(&mut **tx, None, kind, &detail).await?;
    Ok(())
}

/// Removes a member from a project; audited as `member_removed`.
pub async fn remove_member(
    pool: &PgPool,
    project: &ProjectRow,
    user_id: Uuid,
    actor: Actor<'_>,
) -> Result<()> {
    let mut tx = begin(pool, "directory::remove_member begin").await?;
    let member = store::get_member(&mut *tx, project.id, user_id)
        .await?
        .ok_or(DirectoryError::NotFound("member"))?;
    if !store::delete_member(&mut *tx, project.id, user_id).await? {
        return Err(DirectoryError::NotFound("member"));
    }
    let what = json!({
        "project_id": project.id,
        "project": project.slug,
        "user_id": user_id,
        "github_login": member.github_login,
        "role": member.role,
    });
    audit(&mut tx, "member_removed", actor, what).await?;
    commit(tx, "directory::remove_member commit").await
}

/// Removes a user with their memberships: they can no longer log in, and their tokens stop
/// working (every staff request loads its caller). The platform owner is never removed
/// (`owner-not-removable`). Audited as `user_removed`.
pub async fn remove_user(pool: &PgPool, user_id: Uuid, actor: Actor<'_>) -> Result<UserRow> {
    let mut tx = begin(pool, "directory::remove_user begin").await?;
    let Some(removed) = store::delete_user(&mut *tx, user_id).await? else {
        return match store::get_user(&mut *tx, user_id).await? {
            Some(_) => Err(DirectoryError::Conflict {
                code: "owner-not-removable",
                message: "the platform owner cannot be removed".into(),
            }),
            None => Err(DirectoryError::NotFound("user")),
        };
    };
    let what = json!({
        "user_id": removed.id,
        "github_login": removed.github_login,
        "was_platform_admin": removed.is_platform_admin,
    });
    audit(&mut tx, "user_removed", actor, what).await?;
    commit(tx, "directory::remove_user commit").await?;
    Ok(removed)
}

/// Refusal while deliveries for a repository are still being routed: routing may start a stage
/// run for them, which needs the binding.
fn routing(n: i64) -> DirectoryError {
    DirectoryError::Conflict {
        code: "deliveries-being-routed",
        message: format!(
            "{n} accepted GitHub deliveries for it are still being routed; try again once they are (see the ingress queue)"
        ),
    }
}

/// Unbinds a repository (its sealed token goes with the row) unless a stage run references it
/// (`repository-has-runs`): runs keep their repository, so their history stays readable; once
/// retention has removed them, it can be unbound. Nor while an accepted delivery for it is still
/// being routed (`deliveries-being-routed`). Audited as `repository_unbound`.
pub async fn unbind_repository(
    pool: &PgPool,
    repository_id: Uuid,
    actor: Actor<'_>,
) -> Result<RepositoryRow> {
    let mut tx = begin(pool, "directory::unbind_repository begin").await?;
    if !store::lock_repository(&mut *tx, repository_id).await? {
        return Err(DirectoryError::NotFound("repository"));
    }
    let work = store::get_repository_live_work(&mut *tx, repository_id)
        .await?
        .ok_or(DirectoryError::NotFound("repository"))?;
    if work.runs > 0 {
        return Err(DirectoryError::Conflict {
            code: "repository-has-runs",
            message: format!(
                "{} stage runs reference this repository; their history keeps it bound until retention removes them",
                work.runs
            ),
        });
    }
    if work.routing_deliveries > 0 {
        return Err(routing(work.routing_deliveries));
    }
    let unbound = store::delete_repository(&mut *tx, repository_id)
        .await?
        .ok_or(DirectoryError::NotFound("repository"))?;
    let what = json!({
        "repository_id": unbound.id,
        "project_id": unbound.project_id,
        "repository": unbound.full_name,
    });
    audit(&mut tx, "repository_unbound", actor, what).await?;
    commit(tx, "directory::unbind_repository commit").await?;
    Ok(unbound)
}

/// Deletes a project with its members, repositories, prompt overrides and finished runs, unless
/// one of its runs has not ended (`project-has-live-runs`), a finished run's kept runtime is not
/// released yet (`project-has-pending-releases`), or an accepted delivery for one of its
/// repositories is still being routed (`deliveries-being-routed`). The project's row and then all
/// its stage runs are locked first, so no run is added, re-opened by a retry or ends while this
/// decides. Audited as `project_deleted`.
pub async fn delete_project(
    pool: &PgPool,
    project_id: Uuid,
    actor: Actor<'_>,
) -> Result<ProjectRow> {
    let mut tx = begin(pool, "directory::delete_project begin").await?;
    if !store::lock_project(&mut *tx, project_id).await? {
        return Err(DirectoryError::NotFound("project"));
    }
    agent_run::lock_for_project(&mut *tx, project_id).await?;
    let work = store::get_project_live_work(&mut *tx, project_id).await?;
    if work.live_runs > 0 {
        return Err(DirectoryError::Conflict {
            code: "project-has-live-runs",
            message: format!(
                "{} runs of the project have not ended; cancel them (or let them finish) first",
                work.live_runs
            ),
        });
    }
    if work.pending_releases > 0 {
        return Err(DirectoryError::Conflict {
            code: "project-has-pending-releases",
            message: format!(
                "{} finished runs keep their runtime until CK8S_RUNTIME_TTL_SECS has passed; delete the project once they are released",
                work.pending_releases
            ),
        });
    }
    if work.routing_deliveries > 0 {
        return Err(routing(work.routing_deliveries));
    }
    let deleted = store::delete_project(&mut *tx, project_id)
        .await?
        .ok_or(DirectoryError::NotFound("project"))?;
    let what = json!({ "project_id": deleted.id, "project": deleted.slug });
    audit(&mut tx, "project_deleted", actor, what).await?;
    commit(tx, "directory::delete_project commit").await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_parsed_at_the_boundary_and_name_their_field() {
        assert_eq!(
            Email::parse(" Ann@Acme.Test ").unwrap().as_str(),
            "ann@acme.test"
        );
        for bad in ["", "ann", "a b@c.d", "@acme.test", "ann@localhost"] {
            assert!(
                matches!(
                    Email::parse(bad),
                    Err(DirectoryError::Invalid { field: "email", .. })
                ),
                "{bad}"
            );
        }
        assert!(Slug::parse("acme-2").is_ok());
        assert!(
            Slug::parse("Acme").is_err() && Slug::parse("-a").is_err() && Slug::parse("").is_err()
        );
        assert_eq!(
            RepoName::parse("Acme/Shop.rs").unwrap().as_str(),
            "acme/shop.rs"
        );
        assert!(RepoName::parse("acme").is_err() && RepoName::parse("a/b/c").is_err());
        assert!(Login::parse("Octo-Cat").is_ok() && Login::parse("-x").is_err());
        assert_eq!(parse_role("read_write").unwrap(), ProjectRole::ReadWrite);
        assert!(parse_role("owner").is_err());
    }
}
