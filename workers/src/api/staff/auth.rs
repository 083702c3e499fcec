//! `StaffUser`: a person authenticated by a staff JWT (`Authorization: Bearer <jwt>`), with the
//! roles the database gives them now. The contract middleware authenticates every secured
//! operation and hands the caller to handlers through this extractor; handlers never read the
//! header themselves. What a caller may do is decided by [`super::access::authorize`] alone.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use uuid::Uuid;
use workflows::{
    directory::parse_role,
    policy::{PlatformRole, ProjectRole},
    store::directory,
};

use super::jwt::JwtError;
use crate::api::{ApiError, AppState};

/// The authenticated caller of a staff request.
#[derive(Debug, Clone)]
pub struct StaffUser {
    /// User id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// GitHub login, once bound.
    pub github_login: Option<String>,
    /// Platform role.
    pub platform: Option<PlatformRole>,
    /// Project roles: project id, slug, role.
    pub projects: Vec<(Uuid, String, ProjectRole)>,
}

impl StaffUser {
    /// Loads a user's current roles; none when the user no longer exists.
    pub async fn load(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<Self>, ApiError> {
        let Some(user) = directory::get_user(pool, id).await.map_err(internal)? else {
            return Ok(None);
        };
        let memberships = directory::memberships(pool, id).await.map_err(internal)?;
        let platform = if user.is_platform_owner {
            Some(PlatformRole::Owner)
        } else if user.is_platform_admin {
            Some(PlatformRole::Admin)
        } else {
            None
        };
        let projects = memberships
            .into_iter()
            .filter_map(|m| Some((m.project_id, m.slug, parse_role(&m.role).ok()?)))
            .collect();
        Ok(Some(Self {
            id: user.id,
            email: user.email,
            github_login: user.github_login,
            platform,
            projects,
        }))
    }
}

impl StaffUser {
    /// How a run's audit and status comment name the caller: the GitHub login, else the user id.
    pub fn login_or_id(&self) -> String {
        self.github_login
            .clone()
            .unwrap_or_else(|| self.id.to_string())
    }

    /// The caller as the audit events of their administrative changes name them.
    pub fn actor(&self) -> workflows::directory::Actor<'_> {
        workflows::directory::Actor::Staff {
            id: self.id,
            login: self.github_login.as_deref(),
        }
    }
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// Authenticates the bearer JWT of a request.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<StaffUser, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("a bearer token is required"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header is not a bearer token",
        ))?;
    let user_id = state.staff.jwt.verify(token).map_err(|e| {
        ApiError::Unauthenticated(match e {
            JwtError::Expired => "the token has expired",
            JwtError::UnknownKey => "the token's key id is unknown",
            _ => "the token is not valid",
        })
    })?;
    StaffUser::load(state.client.pool(), user_id)
        .await?
        .ok_or(ApiError::Unauthenticated(
            "the token's user is not registered",
        ))
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<StaffUser>() {
            Some(user) => Ok(user.clone()),
            None => authenticate(state, &parts.headers).await,
        }
    }
}
