//! The staff directory service: users (pre-registered by email, no self-signup), projects,
//! memberships and repositories bound to projects with write-only tokens.
//!
//! The staff API and `codex-k8s admin` both call these functions; neither writes the tables itself.
//! Input is parsed into newtypes at the boundary ([`Email`], [`Slug`], [`RepoName`]); constraint
//! violations become [`DirectoryError::Conflict`] with a stable code, by constraint name, here only.

use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    policy::ProjectRole,
    store::directory::{
        self as store, InsertUserParams, NewProject, ProjectRow, RepositoryRow,
        UpdateProjectParams, UpdateUserParams, UserRow,
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
    /// `slug-taken`, `repository-bound`, `owner-exists`).
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

/// Creates the first platform owner; repeating it for the same email returns that owner.
pub async fn bootstrap(pool: &PgPool, email: &Email, login: Option<&Login>) -> Result<UserRow> {
    if let Some(existing) = store::get_user_by_email(pool, email.as_str()).await?
        && existing.is_platform_owner
    {
        return Ok(existing);
    }
    add_user(pool, email, login, Platform::Owner).await
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

/// Registers a user by email.
pub async fn add_user(
    pool: &PgPool,
    email: &Email,
    login: Option<&Login>,
    platform: Platform,
) -> Result<UserRow> {
    let params = InsertUserParams {
        email: email.as_str(),
        github_login: login.map(Login::as_str),
        owner: platform == Platform::Owner,
        admin: platform == Platform::Admin,
    };
    Ok(store::insert_user(pool, &params).await?)
}

/// Changes a user's admin flag, login or learning-mode toggle.
pub async fn update_user(
    pool: &PgPool,
    id: Uuid,
    admin: Option<bool>,
    login: Option<&Login>,
    learning_mode_override: Option<Option<bool>>,
) -> Result<UserRow> {
    let params = UpdateUserParams {
        admin,
        github_login: login.map(Login::as_str),
        learning_mode_override,
    };
    store::update_user(pool, id, &params)
        .await?
        .ok_or(DirectoryError::NotFound("user"))
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

/// Creates a project.
pub async fn add_project(pool: &PgPool, slug: &Slug, s: &ProjectSettings) -> Result<ProjectRow> {
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
    Ok(store::insert_project(pool, &p).await?)
}

/// A project by slug.
pub async fn project(pool: &PgPool, slug: &str) -> Result<ProjectRow> {
    store::get_project(pool, slug)
        .await?
        .ok_or(DirectoryError::NotFound("project"))
}

/// Changes a project's settings.
pub async fn update_project(
    pool: &PgPool,
    id: Uuid,
    change: &UpdateProjectParams<'_>,
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
    store::update_project(pool, id, change)
        .await?
        .ok_or(DirectoryError::NotFound("project"))
}

/// Gives a user a role in a project (replacing the previous one).
pub async fn set_member(
    pool: &PgPool,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
    learning_mode_override: Option<Option<bool>>,
) -> Result<()> {
    if store::get_user(pool, user_id).await?.is_none() {
        return Err(DirectoryError::NotFound("user"));
    }
    store::set_member(
        pool,
        project_id,
        user_id,
        role_name(role),
        learning_mode_override,
    )
    .await?;
    Ok(())
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

/// Binds a repository to a project, with its token sealed (never stored in the clear).
pub async fn bind_repository(
    pool: &PgPool,
    vault: Option<&Vault>,
    project_id: Uuid,
    name: &RepoName,
    default_branch: &str,
    token: Option<&Plain>,
) -> Result<RepositoryRow> {
    if default_branch.trim().is_empty() || default_branch.len() > 255 {
        return Err(invalid("default_branch", "must be 1-255 characters"));
    }
    if token.is_some() && vault.is_none() {
        return Err(DirectoryError::NoVault);
    }
    let mut tx = pool
        .begin()
        .await
        .map_err(|source| crate::Error::Database {
            op: "directory::bind_repository begin",
            source,
        })?;
    let mut row =
        store::insert_repository(&mut *tx, project_id, name.as_str(), default_branch.trim())
            .await?;
    if let Some(token) = token {
        let sealed = seal_for(vault, row.id, token)?;
        store::set_repository_token(&mut *tx, row.id, &sealed, None).await?;
        row = store::get_repository(&mut *tx, row.id)
            .await?
            .ok_or(DirectoryError::NotFound("repository"))?;
    }
    tx.commit().await.map_err(|source| crate::Error::Database {
        op: "directory::bind_repository commit",
        source,
    })?;
    Ok(row)
}

/// Replaces a repository's token.
pub async fn set_repository_token(
    pool: &PgPool,
    vault: Option<&Vault>,
    repository_id: Uuid,
    token: &Plain,
) -> Result<RepositoryRow> {
    let sealed = seal_for(vault, repository_id, token)?;
    if !store::set_repository_token(pool, repository_id, &sealed, None).await? {
        return Err(DirectoryError::NotFound("repository"));
    }
    store::get_repository(pool, repository_id)
        .await?
        .ok_or(DirectoryError::NotFound("repository"))
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
pub async fn reencrypt_tokens(pool: &PgPool, vault: &Vault) -> Result<u64> {
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
            if store::set_repository_token(pool, *id, &resealed, Some(&sealed.key_id)).await? {
                rewritten += 1;
            }
        }
    }
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
