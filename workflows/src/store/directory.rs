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
