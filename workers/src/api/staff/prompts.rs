//! Prompt templates: the repo seed and the versioned DB overrides of each role × kind × locale
//! (system-wide or per project), a new version, activating an earlier one (a rollback), retiring
//! the override (back to the next source), and the effective template a project's run would use
//! through the locale chain. Thin handlers over `workflows::prompt::store`, which audits each write.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use workflows::{
    policy::{Login, ProjectRole, Role},
    prompt::{self, Key, Kind, Locale, Scope, Source, Version, store},
    store::directory::ProjectRow,
};

use super::{
    access::{Need, authorize},
    auth::StaffUser,
    extract::{Body, Params, PathOf},
    page, wire,
};
use crate::api::{ApiError, AppState};

/// The prompt-template routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/prompt-templates", get(list_prompt_templates))
        .route(
            "/api/v1/staff/prompt-templates/effective",
            get(preview_effective),
        )
        .route(
            "/api/v1/staff/prompt-templates/{role}/{kind}/{locale}",
            get(get_prompt_template).post(create_version),
        )
        .route(
            "/api/v1/staff/prompt-templates/{role}/{kind}/{locale}/activate",
            post(activate_version),
        )
        .route(
            "/api/v1/staff/prompt-templates/{role}/{kind}/{locale}/retire",
            post(retire_override),
        )
}

const ROLES: [Role; 8] = [
    Role::Pm,
    Role::Sa,
    Role::Em,
    Role::Dev,
    Role::Reviewer,
    Role::Qa,
    Role::Sre,
    Role::Km,
];
const LOCALES: [Locale; 2] = [Locale::En, Locale::Ru];

fn role_name(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(field: &'static str, raw: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).map_err(|_| {
        ApiError::Invalid {
            code: "invalid-field",
            message: format!("{field} {raw:?} is not known"),
        }
    })
}

fn prompt_error(e: prompt::Error) -> ApiError {
    match e {
        prompt::Error::VersionConflict { .. } => ApiError::Conflict {
            code: "version-conflict",
            message: e.to_string(),
        },
        prompt::Error::VersionNotFound { .. } => ApiError::NotFound("template version"),
        prompt::Error::Database { .. } | prompt::Error::DecodeRow { .. } => {
            ApiError::Internal(e.into())
        }
        other => ApiError::Invalid {
            code: "invalid-template",
            message: other.to_string(),
        },
    }
}

/// The scope named by `?project=`, with the role needed there to read (`write: false`) or write.
async fn scope_for(
    state: &AppState,
    user: &StaffUser,
    project: Option<&str>,
    write: bool,
) -> Result<(Scope, Option<ProjectRow>), ApiError> {
    match project {
        Some(slug) => {
            let role = if write {
                ProjectRole::Admin
            } else {
                ProjectRole::Read
            };
            let p = super::directory::project_for(state, user, slug, role).await?;
            Ok((Scope::Project(p.id), Some(p)))
        }
        None => {
            authorize(
                user,
                if write {
                    Need::PlatformAdmin
                } else {
                    Need::Signed
                },
            )?;
            Ok((Scope::System, None))
        }
    }
}

fn version_view(v: &Version) -> wire::PromptVersion {
    wire::PromptVersion {
        version: i64::from(v.version),
        body: v.body.clone(),
        is_active: v.is_active,
        created_by: v.created_by.clone(),
        change_reason: v.change_reason.clone(),
        activated_by: v.activated_by.clone(),
        activated_at: v.activated_at,
        created_at: v.created_at,
    }
}

/// The key named by the path, in `scope`.
fn key_of(scope: Scope, role: &str, kind: &str, locale: &str) -> Result<Key, ApiError> {
    Ok(Key {
        scope,
        role: parse("role", role)?,
        kind: parse("kind", kind)?,
        locale: parse("locale", locale)?,
    })
}

/// The caller's GitHub login, which every template write records.
fn author(user: &StaffUser) -> Result<Login, ApiError> {
    user.github_login
        .as_deref()
        .and_then(|l| Login::parse(l).ok())
        .ok_or_else(|| ApiError::Invalid {
            code: "no-github-login",
            message: "template versions record your GitHub login: log in with GitHub once, or ask an admin to set it".into(),
        })
}

/// One key's template view: its seed and every version.
async fn template_view(
    state: &AppState,
    key: &Key,
    project: Option<ProjectRow>,
) -> Result<wire::PromptTemplate, ApiError> {
    let versions = store::list_versions(state.client.pool(), key)
        .await
        .map_err(prompt_error)?;
    Ok(wire::PromptTemplate {
        role: role_name(key.role),
        kind: key.kind.as_str().to_owned(),
        locale: key.locale.as_str().to_owned(),
        scope: project.map_or_else(|| "system".to_owned(), |p| p.slug),
        seed: prompt::seed(key.locale, key.role, key.kind).map(str::to_owned),
        versions: versions.iter().map(version_view).collect(),
    })
}

/// `?project=&cursor=&limit=`.
#[derive(Debug, Deserialize)]
struct ListQuery {
    project: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_prompt_templates(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<ListQuery>,
) -> Result<Json<wire::PromptTemplatePage>, ApiError> {
    let (scope, _) = scope_for(&state, &user, q.project.as_deref(), false).await?;
    let mut keys = Vec::new();
    for role in ROLES {
        for kind in Kind::ALL {
            for locale in LOCALES {
                keys.push(Key {
                    scope,
                    role,
                    kind,
                    locale,
                });
            }
        }
    }
    let name = |k: &Key| {
        format!(
            "{}-{}-{}",
            role_name(k.role),
            k.kind.as_str(),
            k.locale.as_str()
        )
    };
    let after = page::decode_key(q.cursor.as_deref())?;
    let limit = page::limit(q.limit) as usize;
    let rest: Vec<&Key> = keys
        .iter()
        .filter(|k| after.as_ref().is_none_or(|a| &name(k) > a))
        .collect();
    let mut sorted = rest;
    sorted.sort_by_key(|k| name(k));
    let more = sorted.len() > limit;
    sorted.truncate(limit);
    let mut items = Vec::new();
    for key in &sorted {
        let versions = store::list_versions(state.client.pool(), key)
            .await
            .map_err(prompt_error)?;
        items.push(wire::PromptTemplateSummary {
            role: role_name(key.role),
            kind: key.kind.as_str().to_owned(),
            locale: key.locale.as_str().to_owned(),
            has_seed: prompt::seed(key.locale, key.role, key.kind).is_some(),
            active_version: versions
                .iter()
                .find(|v| v.is_active)
                .map(|v| i64::from(v.version)),
            versions: versions.len() as i64,
        });
    }
    Ok(Json(wire::PromptTemplatePage {
        next_cursor: more
            .then(|| sorted.last().map(|k| page::encode_key(&name(k))))
            .flatten(),
        items,
    }))
}

/// `?project=`.
#[derive(Debug, Deserialize)]
struct ScopeQuery {
    project: Option<String>,
}

async fn get_prompt_template(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((role, kind, locale)): PathOf<(String, String, String)>,
    Params(q): Params<ScopeQuery>,
) -> Result<Json<wire::PromptTemplate>, ApiError> {
    let (scope, project) = scope_for(&state, &user, q.project.as_deref(), false).await?;
    let key = key_of(scope, &role, &kind, &locale)?;
    Ok(Json(template_view(&state, &key, project).await?))
}

async fn create_version(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((role, kind, locale)): PathOf<(String, String, String)>,
    Params(q): Params<ScopeQuery>,
    Body(body): Body<wire::PromptVersionCreate>,
) -> Result<(StatusCode, Json<wire::PromptVersion>), ApiError> {
    let (scope, _) = scope_for(&state, &user, q.project.as_deref(), true).await?;
    let key = key_of(scope, &role, &kind, &locale)?;
    let login = author(&user)?;
    let mut conn = connection(&state).await?;
    let params = store::CreateVersionParams {
        key,
        body: &body.body,
        expected_active: body.expected_active.and_then(|v| i32::try_from(v).ok()),
        created_by: &login,
        change_reason: &body.change_reason,
        now: None,
    };
    let version = store::create_version(&mut conn, &params)
        .await
        .map_err(prompt_error)?;
    state.staff.reads.note_write(user.id).await;
    Ok((StatusCode::CREATED, Json(version_view(&version))))
}

async fn activate_version(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((role, kind, locale)): PathOf<(String, String, String)>,
    Params(q): Params<ScopeQuery>,
    Body(body): Body<wire::PromptVersionActivate>,
) -> Result<Json<wire::PromptVersion>, ApiError> {
    let (scope, _) = scope_for(&state, &user, q.project.as_deref(), true).await?;
    let key = key_of(scope, &role, &kind, &locale)?;
    let login = author(&user)?;
    let mut conn = connection(&state).await?;
    // The contract bounds both numbers to i32.
    let params = store::ActivateParams {
        key,
        version: i32::try_from(body.version.get()).unwrap_or(i32::MAX),
        expected_active: body
            .expected_active
            .map(|v| i32::try_from(v.get()).unwrap_or(i32::MAX)),
        activated_by: &login,
        now: None,
    };
    let version = store::activate(&mut conn, &params)
        .await
        .map_err(prompt_error)?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(version_view(&version)))
}

async fn retire_override(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((role, kind, locale)): PathOf<(String, String, String)>,
    Params(q): Params<ScopeQuery>,
    Body(body): Body<wire::PromptOverrideRetire>,
) -> Result<Json<wire::PromptTemplate>, ApiError> {
    let (scope, project) = scope_for(&state, &user, q.project.as_deref(), true).await?;
    let key = key_of(scope, &role, &kind, &locale)?;
    let login = author(&user)?;
    let mut conn = connection(&state).await?;
    let expected = i32::try_from(body.expected_active.get()).unwrap_or(i32::MAX);
    store::deactivate(&mut conn, &key, expected, &login)
        .await
        .map_err(prompt_error)?;
    drop(conn);
    state.staff.reads.note_write(user.id).await;
    Ok(Json(template_view(&state, &key, project).await?))
}

/// `?project=&role=&kind=`.
#[derive(Debug, Deserialize)]
struct EffectiveQuery {
    project: String,
    role: String,
    kind: String,
}

async fn preview_effective(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<EffectiveQuery>,
) -> Result<Json<wire::EffectiveTemplate>, ApiError> {
    let project =
        super::directory::project_for(&state, &user, &q.project, ProjectRole::Read).await?;
    let locale = Locale::effective(
        project.locale.as_deref(),
        Some(&state.platform.config.default_locale),
    );
    let params = store::EffectiveParams {
        project_id: Some(project.id),
        role: parse("role", &q.role)?,
        kind: parse("kind", &q.kind)?,
        locale,
    };
    let template = store::effective(state.client.pool(), &params)
        .await
        .map_err(prompt_error)?;
    let (source, source_version) = match template.source {
        Source::ProjectOverride { version } => (
            wire::EffectiveTemplateSource::ProjectOverride,
            Some(i64::from(version)),
        ),
        Source::SystemOverride { version } => (
            wire::EffectiveTemplateSource::SystemOverride,
            Some(i64::from(version)),
        ),
        Source::RepoSeed => (wire::EffectiveTemplateSource::RepoSeed, None),
    };
    Ok(Json(wire::EffectiveTemplate {
        body: template.body.into_owned(),
        source,
        source_version,
        locale: template.locale.as_str().to_owned(),
        locale_chain: locale
            .chain()
            .into_iter()
            .map(|l| l.as_str().to_owned())
            .collect(),
    }))
}

/// A connection of the primary for a prompt write (the store's writes take one connection).
async fn connection(
    state: &AppState,
) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, ApiError> {
    state
        .client
        .pool()
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}
