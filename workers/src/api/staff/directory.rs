//! Administration: the caller (`/me`), users, projects, members and repositories. Thin handlers
//! over `workflows::directory`, the same service `codex-k8s admin` uses; every write is audited
//! there, in its own transaction, naming the caller as its actor.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, get, patch, put},
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;
use workflows::{
    directory::{self as dir, DirectoryError, Email, Login, Platform, RepoName, Slug},
    policy::ProjectRole,
    store::directory::{ProjectRow, RepositoryRow, UpdateProjectParams, UserRow},
    vault::Plain,
};

use super::{
    access::{Need, authorize, visible_projects},
    auth::StaffUser,
    extract::{Body, Params, PathOf},
    page, wire,
};
use crate::api::{ApiError, AppState};

/// Users, projects, members and repositories.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/me", get(me))
        .route("/api/v1/staff/users", get(list_users).post(create_user))
        .route(
            "/api/v1/staff/users/{user_id}",
            patch(update_user).delete(delete_user),
        )
        .route(
            "/api/v1/staff/projects",
            get(list_projects).post(create_project),
        )
        .route(
            "/api/v1/staff/projects/{project}",
            get(get_project)
                .patch(update_project)
                .delete(delete_project),
        )
        .route(
            "/api/v1/staff/projects/{project}/members",
            get(list_members),
        )
        .route(
            "/api/v1/staff/projects/{project}/members/{user_id}",
            put(set_member).delete(remove_member),
        )
        .route(
            "/api/v1/staff/projects/{project}/repositories",
            get(list_repositories).post(bind_repository),
        )
        .route(
            "/api/v1/staff/repositories/{repository_id}",
            delete(unbind_repository),
        )
        .route(
            "/api/v1/staff/repositories/{repository_id}/token",
            put(set_token),
        )
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid { field, message } => ApiError::Invalid {
                code: "invalid-field",
                message: format!("{field}: {message}"),
            },
            DirectoryError::Conflict { code, message } => ApiError::Conflict { code, message },
            DirectoryError::NotFound(what) => ApiError::NotFound(what),
            DirectoryError::NoVault => {
                ApiError::NotConfigured("repository token encryption (CK8S_TOKEN_KEYS)")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// Pagination query of the directory lists.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

pub(super) fn user_view(u: &UserRow) -> wire::User {
    wire::User {
        id: u.id,
        email: u.email.clone(),
        github_login: u.github_login.clone(),
        platform_role: if u.is_platform_owner {
            wire::PlatformRole::Owner
        } else if u.is_platform_admin {
            wire::PlatformRole::Admin
        } else {
            wire::PlatformRole::None
        },
        learning_mode_override: u.learning_mode_override,
        created_at: u.created_at,
    }
}

fn role_view(r: ProjectRole) -> wire::ProjectRole {
    match r {
        ProjectRole::Read => wire::ProjectRole::Read,
        ProjectRole::ReadWrite => wire::ProjectRole::ReadWrite,
        ProjectRole::Admin => wire::ProjectRole::Admin,
    }
}

fn locale_view(l: Option<&str>) -> Option<wire::Locale> {
    match l {
        Some("ru") => Some(wire::Locale::Ru),
        Some("en") => Some(wire::Locale::En),
        _ => None,
    }
}

fn project_view(p: &ProjectRow) -> wire::Project {
    wire::Project {
        id: p.id,
        slug: p.slug.clone(),
        name: p.name.clone(),
        locale: locale_view(p.locale.as_deref()),
        learning_mode_default: p.learning_mode_default,
        max_active_runs: i64::from(p.max_active_runs),
        created_at: p.created_at,
    }
}

fn repository_view(r: &RepositoryRow, project: &str) -> wire::Repository {
    wire::Repository {
        id: r.id,
        project: project.to_owned(),
        full_name: r.full_name.clone(),
        default_branch: r.default_branch.clone(),
        token_set: r.token_key_id.is_some(),
        token_key_id: r.token_key_id.clone(),
        token_set_at: r.token_set_at,
        created_at: r.created_at,
    }
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// A validated raw body as its wire type (a body the contract allows always converts; if the
/// generated type still disagrees, that is the client's 400, never a 500).
fn typed<T: serde::de::DeserializeOwned>(raw: &Value) -> Result<T, ApiError> {
    serde_json::from_value(raw.clone()).map_err(|e| {
        ApiError::Contract(vec![crate::api::FieldError {
            field: "body".into(),
            message: e.to_string(),
        }])
    })
}

/// The project named in the path, if the caller has at least `role` in it. A project the caller
/// cannot read answers 404, not 403, so its existence does not leak.
pub(super) async fn project_for(
    state: &AppState,
    user: &StaffUser,
    slug: &str,
    role: ProjectRole,
) -> Result<ProjectRow, ApiError> {
    let project = dir::project(state.client.pool(), slug).await?;
    if authorize(user, Need::Project(project.id, ProjectRole::Read)).is_err() {
        return Err(ApiError::NotFound("project"));
    }
    authorize(user, Need::Project(project.id, role))?;
    Ok(project)
}

/// A project's slug by id.
pub(super) async fn slug_of(pool: &sqlx::PgPool, project_id: Uuid) -> Result<String, ApiError> {
    Ok(
        workflows::store::directory::get_project_by_id(pool, project_id)
            .await
            .map_err(internal)?
            .map(|p| p.slug)
            .unwrap_or_default(),
    )
}

async fn me(State(state): State<AppState>, user: StaffUser) -> Result<Json<wire::Me>, ApiError> {
    authorize(&user, Need::Signed)?;
    let row = workflows::store::directory::get_user(state.client.pool(), user.id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("user"))?;
    let memberships = user
        .projects
        .iter()
        .map(|(_, slug, role)| wire::Membership {
            project: slug.clone(),
            role: role_view(*role),
        })
        .collect();
    Ok(Json(wire::Me {
        user: user_view(&row),
        memberships,
    }))
}

async fn list_users(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<PageQuery>,
) -> Result<Json<wire::UserPage>, ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let limit = page::limit(q.limit);
    let after = page::decode_key(q.cursor.as_deref())?;
    let rows =
        workflows::store::directory::list_users(state.client.pool(), after.as_deref(), limit + 1)
            .await
            .map_err(internal)?;
    let (rows, more) = page::split(rows, limit);
    Ok(Json(wire::UserPage {
        next_cursor: more
            .then(|| rows.last().map(|u| page::encode_key(&u.email)))
            .flatten(),
        items: rows.iter().map(user_view).collect(),
    }))
}

async fn create_user(
    State(state): State<AppState>,
    user: StaffUser,
    Body(body): Body<wire::UserCreate>,
) -> Result<(StatusCode, Json<wire::User>), ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let email = Email::parse(&body.email)?;
    let login = body
        .github_login
        .as_deref()
        .map(|l| Login::parse(l))
        .transpose()?;
    let platform = match body.platform_role {
        Some(wire::UserCreatePlatformRole::Admin) => Platform::Admin,
        _ => Platform::None,
    };
    let row = dir::add_user(
        state.client.pool(),
        &email,
        login.as_ref(),
        platform,
        user.actor(),
    )
    .await?;
    state.staff.reads.note_write(user.id).await;
    Ok((StatusCode::CREATED, Json(user_view(&row))))
}

async fn update_user(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(user_id): PathOf<Uuid>,
    Body(raw): Body<Value>,
) -> Result<Json<wire::User>, ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let body: wire::UserUpdate = typed(&raw)?;
    let target = workflows::store::directory::get_user(state.client.pool(), user_id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("user"))?;
    if target.is_platform_owner && body.platform_role.is_some() {
        return Err(ApiError::Conflict {
            code: "owner-role",
            message: "the platform owner's role is not changed through the API".into(),
        });
    }
    if body.platform_role.is_some() {
        // Only the owner grants or revokes platform admin.
        authorize(&user, Need::PlatformOwner)?;
    }
    let admin = body
        .platform_role
        .map(|r| r == wire::UserUpdatePlatformRole::Admin);
    let login = body
        .github_login
        .as_deref()
        .map(|l| Login::parse(l))
        .transpose()?;
    let learning = raw
        .get("learning_mode_override")
        .map(|_| body.learning_mode_override);
    let row = dir::update_user(
        state.client.pool(),
        user_id,
        admin,
        login.as_ref(),
        learning,
        user.actor(),
    )
    .await?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(user_view(&row)))
}

async fn delete_user(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(user_id): PathOf<Uuid>,
) -> Result<StatusCode, ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let target = workflows::store::directory::get_user(state.client.pool(), user_id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("user"))?;
    if target.is_platform_admin && !target.is_platform_owner {
        // Only the owner removes a platform admin, as only the owner revokes one (the owner
        // is never removed: the service answers `owner-not-removable`).
        authorize(&user, Need::PlatformOwner)?;
    }
    dir::remove_user(state.client.pool(), user_id, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_projects(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<PageQuery>,
) -> Result<Json<wire::ProjectPage>, ApiError> {
    authorize(&user, Need::Signed)?;
    let limit = page::limit(q.limit);
    let after = page::decode_key(q.cursor.as_deref())?;
    let only = visible_projects(&user);
    let rows = workflows::store::directory::list_projects(
        state.client.pool(),
        after.as_deref(),
        limit + 1,
        only.as_deref(),
    )
    .await
    .map_err(internal)?;
    let (rows, more) = page::split(rows, limit);
    Ok(Json(wire::ProjectPage {
        next_cursor: more
            .then(|| rows.last().map(|p| page::encode_key(&p.slug)))
            .flatten(),
        items: rows.iter().map(project_view).collect(),
    }))
}

async fn create_project(
    State(state): State<AppState>,
    user: StaffUser,
    Body(body): Body<wire::ProjectCreate>,
) -> Result<(StatusCode, Json<wire::Project>), ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let slug = Slug::parse(&body.slug)?;
    let settings = dir::ProjectSettings {
        name: body.name.to_string(),
        locale: body.locale.map(|l| l.to_string()),
        learning_mode_default: body.learning_mode_default,
        max_active_runs: i32::try_from(body.max_active_runs.get()).unwrap_or(i32::MAX),
    };
    let row = dir::add_project(state.client.pool(), &slug, &settings, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok((StatusCode::CREATED, Json(project_view(&row))))
}

async fn get_project(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
) -> Result<Json<wire::Project>, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Read).await?;
    Ok(Json(project_view(&project)))
}

async fn update_project(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
    Body(raw): Body<Value>,
) -> Result<Json<wire::Project>, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Admin).await?;
    let body: wire::ProjectUpdate = typed(&raw)?;
    let locale = body.locale.map(|l| l.to_string());
    let change = UpdateProjectParams {
        name: body.name.as_deref().map(|n| n.as_str()),
        locale: raw.get("locale").map(|_| locale.as_deref()),
        learning_mode_default: raw
            .get("learning_mode_default")
            .map(|_| body.learning_mode_default),
        max_active_runs: body
            .max_active_runs
            .map(|n| i32::try_from(n.get()).unwrap_or(i32::MAX)),
    };
    let row = dir::update_project(state.client.pool(), project.id, &change, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(project_view(&row)))
}

async fn delete_project(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
) -> Result<StatusCode, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Read).await?;
    // Creating and deleting projects is the platform's business, not a project admin's.
    authorize(&user, Need::PlatformAdmin)?;
    dir::delete_project(state.client.pool(), project.id, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_members(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
    Params(q): Params<PageQuery>,
) -> Result<Json<wire::MemberPage>, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Read).await?;
    let limit = page::limit(q.limit);
    let after = page::decode_key(q.cursor.as_deref())?;
    let rows = workflows::store::directory::list_members(
        state.client.pool(),
        project.id,
        after.as_deref(),
        limit + 1,
    )
    .await
    .map_err(internal)?;
    let (rows, more) = page::split(rows, limit);
    let items = rows
        .iter()
        .map(|m| wire::Member {
            user_id: m.user_id,
            email: m.email.clone(),
            github_login: m.github_login.clone(),
            role: dir::parse_role(&m.role)
                .map(role_view)
                .unwrap_or(wire::ProjectRole::Read),
            learning_mode_override: m.learning_mode_override,
        })
        .collect();
    Ok(Json(wire::MemberPage {
        next_cursor: more
            .then(|| rows.last().map(|m| page::encode_key(&m.email)))
            .flatten(),
        items,
    }))
}

async fn set_member(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((slug, user_id)): PathOf<(String, Uuid)>,
    Body(raw): Body<Value>,
) -> Result<Json<wire::Member>, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Admin).await?;
    let body: wire::MemberSet = typed(&raw)?;
    let role = dir::parse_role(&body.role.to_string())?;
    let learning = raw
        .get("learning_mode_override")
        .map(|_| body.learning_mode_override);
    let member = dir::set_member(
        state.client.pool(),
        &project,
        user_id,
        role,
        learning,
        user.actor(),
    )
    .await?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(wire::Member {
        user_id,
        email: member.email,
        github_login: member.github_login,
        role: role_view(role),
        learning_mode_override: member.learning_mode_override,
    }))
}

async fn remove_member(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((slug, user_id)): PathOf<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Admin).await?;
    dir::remove_member(state.client.pool(), &project, user_id, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_repositories(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
    Params(q): Params<PageQuery>,
) -> Result<Json<wire::RepositoryPage>, ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Read).await?;
    let limit = page::limit(q.limit);
    let after = page::decode_key(q.cursor.as_deref())?;
    let rows = workflows::store::directory::list_repositories(
        state.client.pool(),
        project.id,
        after.as_deref(),
        limit + 1,
    )
    .await
    .map_err(internal)?;
    let (rows, more) = page::split(rows, limit);
    Ok(Json(wire::RepositoryPage {
        next_cursor: more
            .then(|| rows.last().map(|r| page::encode_key(&r.full_name)))
            .flatten(),
        items: rows
            .iter()
            .map(|r| repository_view(r, &project.slug))
            .collect(),
    }))
}

async fn bind_repository(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
    Body(body): Body<wire::RepositoryBind>,
) -> Result<(StatusCode, Json<wire::Repository>), ApiError> {
    let project = project_for(&state, &user, &slug, ProjectRole::Admin).await?;
    let name = RepoName::parse(&body.full_name)?;
    let token = body.token.as_deref().map(|t| Plain::new(t.as_str()));
    let row = dir::bind_repository(
        state.client.pool(),
        state.staff.vault.as_ref(),
        &project,
        &name,
        &body.default_branch,
        token.as_ref(),
        user.actor(),
    )
    .await?;
    state.staff.reads.note_write(user.id).await;
    Ok((
        StatusCode::CREATED,
        Json(repository_view(&row, &project.slug)),
    ))
}

/// A repository the caller may see, with at least `role` in its project; an invisible one is a 404.
async fn repository_for(
    state: &AppState,
    user: &StaffUser,
    repository_id: Uuid,
    role: ProjectRole,
) -> Result<RepositoryRow, ApiError> {
    let repo = workflows::store::directory::get_repository(state.client.pool(), repository_id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("repository"))?;
    if authorize(user, Need::Project(repo.project_id, ProjectRole::Read)).is_err() {
        return Err(ApiError::NotFound("repository"));
    }
    authorize(user, Need::Project(repo.project_id, role))?;
    Ok(repo)
}

async fn unbind_repository(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(repository_id): PathOf<Uuid>,
) -> Result<StatusCode, ApiError> {
    repository_for(&state, &user, repository_id, ProjectRole::Admin).await?;
    dir::unbind_repository(state.client.pool(), repository_id, user.actor()).await?;
    state.staff.reads.note_write(user.id).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_token(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(repository_id): PathOf<Uuid>,
    Body(body): Body<wire::RepositoryToken>,
) -> Result<Json<wire::Repository>, ApiError> {
    let pool = state.client.pool();
    repository_for(&state, &user, repository_id, ProjectRole::Admin).await?;
    let token = Plain::new(body.token.as_str());
    let row = dir::set_repository_token(
        pool,
        state.staff.vault.as_ref(),
        repository_id,
        &token,
        user.actor(),
    )
    .await?;
    state.staff.reads.note_write(user.id).await;
    let slug = slug_of(pool, row.project_id).await?;
    Ok(Json(repository_view(&row, &slug)))
}
