//! Queries on `users`, `projects`, `project_members` and `repositories`: who may trigger runs where.

use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::{
    error::{Result, db},
    policy::{Access, PlatformRole, ProjectRole},
};

/// A repository's binding to a project, with the project settings runs need.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The repository row.
    pub repository_id: Uuid,
    /// Its project.
    pub project_id: Uuid,
    /// Project slug (for concurrency keys and links).
    pub project_slug: String,
    /// Default branch.
    pub default_branch: String,
    /// Project locale, if set.
    pub locale: Option<String>,
    /// Project learning-mode default, if set.
    pub learning_mode_default: Option<bool>,
    /// Concurrent stage runs of the project.
    pub max_active_runs: i32,
}

/// The binding of a repository (`owner/name`, any case), if bound.
pub async fn binding(e: impl PgExecutor<'_>, full_name: &str) -> Result<Option<Binding>> {
    let row = sqlx::query(include_str!("../../queries/repositories/get_binding.sql"))
        .bind(full_name)
        .fetch_optional(e)
        .await
        .map_err(db("directory::binding"))?;
    Ok(row.map(|r| Binding {
        repository_id: r.get("repository_id"),
        project_id: r.get("project_id"),
        project_slug: r.get("slug"),
        default_branch: r.get("default_branch"),
        locale: r.get("locale"),
        learning_mode_default: r.get("learning_mode_default"),
        max_active_runs: r.get("max_active_runs"),
    }))
}

/// The ids of every bound repository.
pub async fn list_repository_ids(e: impl PgExecutor<'_>) -> Result<Vec<Uuid>> {
    sqlx::query_scalar(include_str!("../../queries/repositories/list_ids.sql"))
        .fetch_all(e)
        .await
        .map_err(db("directory::list_repository_ids"))
}

/// A login's access in a project, and the member's learning-mode override.
pub async fn access(
    e: impl PgExecutor<'_>,
    login: &str,
    project_id: Uuid,
) -> Result<(Access, Option<bool>)> {
    let row = sqlx::query(include_str!("../../queries/users/get_access.sql"))
        .bind(login)
        .bind(project_id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::access"))?;
    let Some(r) = row else {
        return Ok((Access::Unregistered, None));
    };
    let platform = if r.get("is_platform_owner") {
        Some(PlatformRole::Owner)
    } else if r.get("is_platform_admin") {
        Some(PlatformRole::Admin)
    } else {
        None
    };
    let project = match r.get::<Option<String>, _>("role").as_deref() {
        Some("admin") => Some(ProjectRole::Admin),
        Some("read_write") => Some(ProjectRole::ReadWrite),
        Some("read") => Some(ProjectRole::Read),
        _ => None,
    };
    Ok((
        Access::User { platform, project },
        r.get("learning_mode_override"),
    ))
}

/// A user to create or update (admin tool and fixtures).
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Email (the identity).
    pub email: &'a str,
    /// GitHub login.
    pub github_login: &'a str,
    /// Platform owner.
    pub owner: bool,
    /// Platform admin.
    pub admin: bool,
}

/// Creates or updates a user; returns its id.
pub async fn upsert_user(e: impl PgExecutor<'_>, u: &NewUser<'_>) -> Result<Uuid> {
    sqlx::query_scalar(include_str!("../../queries/users/upsert.sql"))
        .bind(Uuid::now_v7())
        .bind(u.email)
        .bind(u.github_login)
        .bind(u.owner)
        .bind(u.admin)
        .fetch_one(e)
        .await
        .map_err(db("directory::upsert_user"))
}

/// A project to create or update.
#[derive(Debug, Clone)]
pub struct NewProject<'a> {
    /// Unique slug.
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// `ru` or `en`, or none for the platform default.
    pub locale: Option<&'a str>,
    /// Learning-mode default, or none for the platform default.
    pub learning_mode_default: Option<bool>,
    /// Concurrent stage runs.
    pub max_active_runs: i32,
}

/// Creates or updates a project; returns its id.
pub async fn upsert_project(e: impl PgExecutor<'_>, p: &NewProject<'_>) -> Result<Uuid> {
    sqlx::query_scalar(include_str!("../../queries/projects/upsert.sql"))
        .bind(Uuid::now_v7())
        .bind(p.slug)
        .bind(p.name)
        .bind(p.locale)
        .bind(p.learning_mode_default)
        .bind(p.max_active_runs)
        .fetch_one(e)
        .await
        .map_err(db("directory::upsert_project"))
}

/// Sets a member's role (`read`, `read_write`, `admin`).
pub async fn upsert_member(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    user_id: Uuid,
    role: &str,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/project_members/upsert.sql"))
        .bind(project_id)
        .bind(user_id)
        .bind(role)
        .bind(None::<bool>)
        .execute(e)
        .await
        .map_err(db("directory::upsert_member"))?;
    Ok(())
}

/// Binds a repository to a project; returns the repository id.
pub async fn bind_repository(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    full_name: &str,
    default_branch: &str,
) -> Result<Uuid> {
    sqlx::query_scalar(include_str!("../../queries/repositories/upsert.sql"))
        .bind(Uuid::now_v7())
        .bind(project_id)
        .bind(full_name)
        .bind(default_branch)
        .fetch_one(e)
        .await
        .map_err(db("directory::bind_repository"))
}

// ---- the staff directory (the service in `crate::directory` composes these) ----

/// A user as the staff API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: Uuid,
    /// Email (lowercase).
    pub email: String,
    /// GitHub login (lowercase), once known.
    pub github_login: Option<String>,
    /// Platform owner.
    pub is_platform_owner: bool,
    /// Platform admin.
    pub is_platform_admin: bool,
    /// The user's learning-mode toggle.
    pub learning_mode_override: Option<bool>,
    /// Registered.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl UserRow {
    fn from_row(r: &sqlx::postgres::PgRow) -> Self {
        Self {
            id: r.get("id"),
            email: r.get("email"),
            github_login: r.get("github_login"),
            is_platform_owner: r.get("is_platform_owner"),
            is_platform_admin: r.get("is_platform_admin"),
            learning_mode_override: r.get("learning_mode_override"),
            created_at: r.get("created_at"),
        }
    }
}

/// A user to register.
#[derive(Debug, Clone)]
pub struct InsertUserParams<'a> {
    /// Email.
    pub email: &'a str,
    /// GitHub login, if known.
    pub github_login: Option<&'a str>,
    /// Platform owner.
    pub owner: bool,
    /// Platform admin.
    pub admin: bool,
}

/// Registers a user; a duplicate email or login fails with its constraint.
pub async fn insert_user(e: impl PgExecutor<'_>, p: &InsertUserParams<'_>) -> Result<UserRow> {
    let row = sqlx::query(include_str!("../../queries/users/insert.sql"))
        .bind(p.email)
        .bind(p.github_login)
        .bind(p.owner)
        .bind(p.admin)
        .fetch_one(e)
        .await
        .map_err(db("directory::insert_user"))?;
    Ok(UserRow::from_row(&row))
}

/// One user.
pub async fn get_user(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>> {
    let row = sqlx::query(include_str!("../../queries/users/get.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_user"))?;
    Ok(row.as_ref().map(UserRow::from_row))
}

/// One user by email.
pub async fn get_user_by_email(e: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>> {
    let row = sqlx::query(include_str!("../../queries/users/get_by_email.sql"))
        .bind(email)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_user_by_email"))?;
    Ok(row.as_ref().map(UserRow::from_row))
}

/// The first registered user among these emails.
pub async fn get_user_by_emails(
    e: impl PgExecutor<'_>,
    emails: &[String],
) -> Result<Option<UserRow>> {
    let row = sqlx::query(include_str!("../../queries/users/get_by_emails.sql"))
        .bind(emails)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_user_by_emails"))?;
    Ok(row.as_ref().map(UserRow::from_row))
}

/// Users by email after `after`.
pub async fn list_users(
    e: impl PgExecutor<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let rows = sqlx::query(include_str!("../../queries/users/list.sql"))
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("directory::list_users"))?;
    Ok(rows.iter().map(UserRow::from_row).collect())
}

/// A change of a user (none keeps a value).
#[derive(Debug, Clone, Default)]
pub struct UpdateUserParams<'a> {
    /// Platform admin flag.
    pub admin: Option<bool>,
    /// GitHub login.
    pub github_login: Option<&'a str>,
    /// Learning-mode toggle: `Some(None)` clears it.
    pub learning_mode_override: Option<Option<bool>>,
}

/// Changes a user; none when it does not exist.
pub async fn update_user(
    e: impl PgExecutor<'_>,
    id: Uuid,
    p: &UpdateUserParams<'_>,
) -> Result<Option<UserRow>> {
    let row = sqlx::query(include_str!("../../queries/users/update.sql"))
        .bind(id)
        .bind(p.admin)
        .bind(p.github_login)
        .bind(p.learning_mode_override.flatten())
        .bind(matches!(p.learning_mode_override, Some(None)))
        .fetch_optional(e)
        .await
        .map_err(db("directory::update_user"))?;
    Ok(row.as_ref().map(UserRow::from_row))
}

/// Binds a GitHub account to a user at login.
pub async fn record_login(
    e: impl PgExecutor<'_>,
    id: Uuid,
    login: &str,
    github_id: i64,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/users/record_login.sql"))
        .bind(id)
        .bind(login)
        .bind(github_id)
        .execute(e)
        .await
        .map_err(db("directory::record_login"))?;
    Ok(())
}

/// A user's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Project id.
    pub project_id: Uuid,
    /// Project slug.
    pub slug: String,
    /// `read`, `read_write` or `admin`.
    pub role: String,
}

/// A user's project roles.
pub async fn memberships(e: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<Membership>> {
    let rows = sqlx::query(include_str!("../../queries/users/memberships.sql"))
        .bind(user_id)
        .fetch_all(e)
        .await
        .map_err(db("directory::memberships"))?;
    Ok(rows
        .iter()
        .map(|r| Membership {
            project_id: r.get("project_id"),
            slug: r.get("slug"),
            role: r.get("role"),
        })
        .collect())
}

/// A project as the staff API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    /// Id.
    pub id: Uuid,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Locale, if set.
    pub locale: Option<String>,
    /// Learning-mode default, if set.
    pub learning_mode_default: Option<bool>,
    /// Concurrent stage runs.
    pub max_active_runs: i32,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ProjectRow {
    fn from_row(r: &sqlx::postgres::PgRow) -> Self {
        Self {
            id: r.get("id"),
            slug: r.get("slug"),
            name: r.get("name"),
            locale: r.get("locale"),
            learning_mode_default: r.get("learning_mode_default"),
            max_active_runs: r.get("max_active_runs"),
            created_at: r.get("created_at"),
        }
    }
}

/// Creates a project; a duplicate slug fails with its constraint.
pub async fn insert_project(e: impl PgExecutor<'_>, p: &NewProject<'_>) -> Result<ProjectRow> {
    let row = sqlx::query(include_str!("../../queries/projects/insert.sql"))
        .bind(p.slug)
        .bind(p.name)
        .bind(p.locale)
        .bind(p.learning_mode_default)
        .bind(p.max_active_runs)
        .fetch_one(e)
        .await
        .map_err(db("directory::insert_project"))?;
    Ok(ProjectRow::from_row(&row))
}

/// One project by slug.
pub async fn get_project(e: impl PgExecutor<'_>, slug: &str) -> Result<Option<ProjectRow>> {
    let row = sqlx::query(include_str!("../../queries/projects/get_by_slug.sql"))
        .bind(slug)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_project"))?;
    Ok(row.as_ref().map(ProjectRow::from_row))
}

/// Projects by slug after `after`; `only` restricts to these ids.
pub async fn list_projects(
    e: impl PgExecutor<'_>,
    after: Option<&str>,
    limit: i64,
    only: Option<&[Uuid]>,
) -> Result<Vec<ProjectRow>> {
    let rows = sqlx::query(include_str!("../../queries/projects/list.sql"))
        .bind(after)
        .bind(limit)
        .bind(only)
        .fetch_all(e)
        .await
        .map_err(db("directory::list_projects"))?;
    Ok(rows.iter().map(ProjectRow::from_row).collect())
}

/// A change of a project's settings (none keeps a value; `Some(None)` clears).
#[derive(Debug, Clone, Default)]
pub struct UpdateProjectParams<'a> {
    /// Name.
    pub name: Option<&'a str>,
    /// Locale.
    pub locale: Option<Option<&'a str>>,
    /// Learning-mode default.
    pub learning_mode_default: Option<Option<bool>>,
    /// Concurrent stage runs.
    pub max_active_runs: Option<i32>,
}

/// Changes a project; none when it does not exist.
pub async fn update_project(
    e: impl PgExecutor<'_>,
    id: Uuid,
    p: &UpdateProjectParams<'_>,
) -> Result<Option<ProjectRow>> {
    let row = sqlx::query(include_str!("../../queries/projects/update.sql"))
        .bind(id)
        .bind(p.name)
        .bind(p.locale.flatten())
        .bind(p.learning_mode_default.flatten())
        .bind(p.max_active_runs)
        .bind(matches!(p.locale, Some(None)))
        .bind(matches!(p.learning_mode_default, Some(None)))
        .fetch_optional(e)
        .await
        .map_err(db("directory::update_project"))?;
    Ok(row.as_ref().map(ProjectRow::from_row))
}

/// A member of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// User id.
    pub user_id: Uuid,
    /// Email.
    pub email: String,
    /// GitHub login.
    pub github_login: Option<String>,
    /// Role.
    pub role: String,
    /// Learning-mode override.
    pub learning_mode_override: Option<bool>,
}

/// Sets a member's role; `learning_mode_override` `Some(None)` clears it, none keeps it.
pub async fn set_member(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    user_id: Uuid,
    role: &str,
    learning_mode_override: Option<Option<bool>>,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/project_members/set.sql"))
        .bind(project_id)
        .bind(user_id)
        .bind(role)
        .bind(learning_mode_override.flatten())
        .bind(matches!(learning_mode_override, Some(None)))
        .execute(e)
        .await
        .map_err(db("directory::set_member"))?;
    Ok(())
}

/// Members of a project by email after `after`.
pub async fn list_members(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MemberRow>> {
    let rows = sqlx::query(include_str!("../../queries/project_members/list.sql"))
        .bind(project_id)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("directory::list_members"))?;
    Ok(rows
        .iter()
        .map(|r| MemberRow {
            user_id: r.get("user_id"),
            email: r.get("email"),
            github_login: r.get("github_login"),
            role: r.get("role"),
            learning_mode_override: r.get("learning_mode_override"),
        })
        .collect())
}

/// One member of a project.
pub async fn get_member(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Option<MemberRow>> {
    let row = sqlx::query(include_str!("../../queries/project_members/get.sql"))
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_member"))?;
    Ok(row.map(|r| MemberRow {
        user_id: r.get("user_id"),
        email: r.get("email"),
        github_login: r.get("github_login"),
        role: r.get("role"),
        learning_mode_override: r.get("learning_mode_override"),
    }))
}

/// One project by id.
pub async fn get_project_by_id(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ProjectRow>> {
    let row = sqlx::query(include_str!("../../queries/projects/get.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_project_by_id"))?;
    Ok(row.as_ref().map(ProjectRow::from_row))
}

/// Removes a member; whether one was removed.
pub async fn delete_member(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/project_members/delete.sql"))
        .bind(project_id)
        .bind(user_id)
        .execute(e)
        .await
        .map_err(db("directory::delete_member"))?;
    Ok(done.rows_affected() > 0)
}

/// A repository as the staff API shows it: never the token, only its key id and when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// `owner/name`, lowercase.
    pub full_name: String,
    /// Default branch.
    pub default_branch: String,
    /// Key id of the sealed token, if one is set.
    pub token_key_id: Option<String>,
    /// When the token was set.
    pub token_set_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Bound.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl RepositoryRow {
    fn from_row(r: &sqlx::postgres::PgRow) -> Self {
        Self {
            id: r.get("id"),
            project_id: r.get("project_id"),
            full_name: r.get("full_name"),
            default_branch: r.get("default_branch"),
            token_key_id: r.get("token_key_id"),
            token_set_at: r.get("token_set_at"),
            created_at: r.get("created_at"),
        }
    }
}

/// Binds a repository; a repository bound already fails with its constraint.
pub async fn insert_repository(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    full_name: &str,
    default_branch: &str,
) -> Result<RepositoryRow> {
    let row = sqlx::query(include_str!("../../queries/repositories/insert.sql"))
        .bind(project_id)
        .bind(full_name)
        .bind(default_branch)
        .fetch_one(e)
        .await
        .map_err(db("directory::insert_repository"))?;
    Ok(RepositoryRow::from_row(&row))
}

/// One repository.
pub async fn get_repository(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<RepositoryRow>> {
    let row = sqlx::query(include_str!("../../queries/repositories/get.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_repository"))?;
    Ok(row.as_ref().map(RepositoryRow::from_row))
}

/// A project's repositories by name after `after`.
pub async fn list_repositories(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<RepositoryRow>> {
    let rows = sqlx::query(include_str!("../../queries/repositories/list.sql"))
        .bind(project_id)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("directory::list_repositories"))?;
    Ok(rows.iter().map(RepositoryRow::from_row).collect())
}

/// Stores a sealed token; with `only_if_key` only while the row is still sealed under that key.
/// Whether the row was written.
pub async fn set_repository_token(
    e: impl PgExecutor<'_>,
    id: Uuid,
    sealed: &crate::vault::Sealed,
    only_if_key: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/repositories/set_token.sql"))
        .bind(id)
        .bind(&sealed.blob)
        .bind(&sealed.key_id)
        .bind(only_if_key)
        .execute(e)
        .await
        .map_err(db("directory::set_repository_token"))?;
    Ok(done.rows_affected() > 0)
}

/// A repository's sealed token, if set.
pub async fn get_repository_token(
    e: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<crate::vault::Sealed>> {
    let row = sqlx::query(include_str!(
        "../../queries/repositories/get_sealed_token.sql"
    ))
    .bind(id)
    .fetch_optional(e)
    .await
    .map_err(db("directory::get_repository_token"))?;
    Ok(row.and_then(|r| {
        let blob: Option<Vec<u8>> = r.get("token_sealed");
        let key_id: Option<String> = r.get("token_key_id");
        Some(crate::vault::Sealed {
            key_id: key_id?,
            blob: blob?,
        })
    }))
}

/// Repositories with a token sealed under another key than `active`, by id after `after`.
pub async fn list_sealed_except(
    e: impl PgExecutor<'_>,
    active: &str,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, crate::vault::Sealed)>> {
    let rows = sqlx::query(include_str!(
        "../../queries/repositories/list_sealed_except.sql"
    ))
    .bind(active)
    .bind(after)
    .bind(limit)
    .fetch_all(e)
    .await
    .map_err(db("directory::list_sealed_except"))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get("id"),
                crate::vault::Sealed {
                    key_id: r.get("token_key_id"),
                    blob: r.get("token_sealed"),
                },
            )
        })
        .collect())
}

/// Removes a user and their memberships, never the platform owner; the removed user, or none when
/// there is no such user or it is the owner.
pub async fn delete_user(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>> {
    let row = sqlx::query(include_str!("../../queries/users/delete.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::delete_user"))?;
    Ok(row.as_ref().map(UserRow::from_row))
}

/// Locks a repository row for the rest of the transaction; whether it exists.
pub async fn lock_repository(e: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/repositories/lock.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::lock_repository"))?;
    Ok(row.is_some())
}

/// What keeps a repository bound (see `queries/repositories/get_live_work.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepositoryWork {
    /// Stage runs that reference it, live or finished.
    pub runs: i64,
    /// Accepted deliveries for it that are still being routed.
    pub routing_deliveries: i64,
}

/// What keeps a repository bound, under [`lock_repository`] in the same transaction; none when
/// there is no such repository.
pub async fn get_repository_live_work(
    e: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<RepositoryWork>> {
    let row = sqlx::query(include_str!("../../queries/repositories/get_live_work.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::get_repository_live_work"))?;
    Ok(row.map(|r| RepositoryWork {
        runs: r.get("runs"),
        routing_deliveries: r.get("routing_deliveries"),
    }))
}

/// Unbinds a repository with its sealed token, after [`get_repository_live_work`] found nothing
/// that needs it in the same transaction; the unbound row, or none when there is no such row.
pub async fn delete_repository(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<RepositoryRow>> {
    let row = sqlx::query(include_str!("../../queries/repositories/delete.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::delete_repository"))?;
    Ok(row.as_ref().map(RepositoryRow::from_row))
}

/// Locks a project row against other settings changes (not against stage runs being inserted) for
/// the rest of the transaction; whether it exists.
pub async fn lock_project_for_change(e: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/projects/lock_for_change.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::lock_project_for_change"))?;
    Ok(row.is_some())
}

/// Locks a user row against other audited changes of the user for the rest of the transaction;
/// whether it exists.
pub async fn lock_user(e: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/users/lock.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::lock_user"))?;
    Ok(row.is_some())
}

/// Locks a project row for the rest of the transaction; whether it exists.
pub async fn lock_project(e: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/projects/lock.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::lock_project"))?;
    Ok(row.is_some())
}

/// What keeps a project from being deleted (see `queries/projects/get_live_work.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProjectWork {
    /// Stage runs that have not ended.
    pub live_runs: i64,
    /// Finished stage runs whose kept runtime is not released yet.
    pub pending_releases: i64,
    /// Accepted deliveries for its repositories that are still being routed.
    pub routing_deliveries: i64,
}

/// What keeps a project from being deleted, under [`lock_project`] and
/// `agent_run::lock_for_project` in the same transaction.
pub async fn get_project_live_work(e: impl PgExecutor<'_>, id: Uuid) -> Result<ProjectWork> {
    let r = sqlx::query(include_str!("../../queries/projects/get_live_work.sql"))
        .bind(id)
        .fetch_one(e)
        .await
        .map_err(db("directory::get_project_live_work"))?;
    Ok(ProjectWork {
        live_runs: r.get("live_runs"),
        pending_releases: r.get("pending_releases"),
        routing_deliveries: r.get("routing_deliveries"),
    })
}

/// Deletes a project with everything that belongs to it, after [`get_project_live_work`] found
/// nothing live in the same transaction; the deleted row, or none when there is no such row.
pub async fn delete_project(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ProjectRow>> {
    let row = sqlx::query(include_str!("../../queries/projects/delete.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("directory::delete_project"))?;
    Ok(row.as_ref().map(ProjectRow::from_row))
}
