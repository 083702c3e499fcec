//! The one authorization function of the staff API. Every handler states what it needs
//! ([`Need`]) and calls [`authorize`]; nothing else decides who may do what.
//!
//! Platform roles: `owner` (one) and `admin` may do everything, in every project, except what
//! only the owner does: grant, revoke or remove a platform admin.
//! Project roles, each including the one before: `read` (see the project, its runs, approvals and
//! next-step previews), `read_write` (cancel and retry runs, execute next steps), `admin` (manage
//! the project's settings, members and repositories, decide approvals).

use uuid::Uuid;
use workflows::policy::{PlatformRole, ProjectRole};

use super::auth::StaffUser;
use crate::api::ApiError;

/// What an operation needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any registered, authenticated user.
    Signed,
    /// A platform owner or admin.
    PlatformAdmin,
    /// The platform owner (platform admins are granted, revoked and removed only by the owner).
    PlatformOwner,
    /// At least this role in this project (platform owners and admins have every role).
    Project(Uuid, ProjectRole),
}

fn rank(role: ProjectRole) -> u8 {
    match role {
        ProjectRole::Read => 1,
        ProjectRole::ReadWrite => 2,
        ProjectRole::Admin => 3,
    }
}

fn role_name(role: ProjectRole) -> &'static str {
    workflows::directory::role_name(role)
}

/// The caller's effective role in a project.
pub fn project_role(user: &StaffUser, project: Uuid) -> Option<ProjectRole> {
    if user.platform.is_some() {
        return Some(ProjectRole::Admin);
    }
    user.projects
        .iter()
        .find(|(id, _, _)| *id == project)
        .map(|(_, _, role)| *role)
}

/// Allows or refuses (403, saying which role is needed).
pub fn authorize(user: &StaffUser, need: Need) -> Result<(), ApiError> {
    let allowed = match need {
        Need::Signed => true,
        Need::PlatformAdmin => matches!(
            user.platform,
            Some(PlatformRole::Owner | PlatformRole::Admin)
        ),
        Need::PlatformOwner => user.platform == Some(PlatformRole::Owner),
        Need::Project(project, role) => {
            project_role(user, project).is_some_and(|r| rank(r) >= rank(role))
        }
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::Forbidden(match need {
        Need::Signed => "a registered user is required".into(),
        Need::PlatformAdmin => "this needs a platform owner or admin".into(),
        Need::PlatformOwner => "this needs the platform owner".into(),
        Need::Project(_, role) => {
            format!("this needs the project role {} or higher", role_name(role))
        }
    }))
}

/// The projects whose data the caller may list: none = every project (platform roles).
pub fn visible_projects(user: &StaffUser) -> Option<Vec<Uuid>> {
    if user.platform.is_some() {
        None
    } else {
        Some(user.projects.iter().map(|(id, _, _)| *id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(platform: Option<PlatformRole>, role: Option<ProjectRole>, project: Uuid) -> StaffUser {
        StaffUser {
            id: Uuid::new_v4(),
            email: "u@acme.test".into(),
            github_login: None,
            platform,
            projects: role
                .map(|r| (project, "acme".to_owned(), r))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn roles_include_the_ones_below_and_platform_roles_include_every_project_role() {
        let p = Uuid::new_v4();
        let other = Uuid::new_v4();
        let table = [
            (
                None,
                Some(ProjectRole::Read),
                "rw-: signed yes, admin no, owner no, read yes, rw no, padmin no, other no",
            ),
            (
                None,
                Some(ProjectRole::ReadWrite),
                "signed yes, admin no, owner no, read yes, rw yes, padmin no, other no",
            ),
            (
                None,
                Some(ProjectRole::Admin),
                "signed yes, admin no, owner no, read yes, rw yes, padmin yes, other no",
            ),
            (
                Some(PlatformRole::Admin),
                None,
                "signed yes, admin yes, owner no, read yes, rw yes, padmin yes, other yes",
            ),
            (
                Some(PlatformRole::Owner),
                None,
                "signed yes, admin yes, owner yes, read yes, rw yes, padmin yes, other yes",
            ),
            (
                None,
                None,
                "signed yes, admin no, owner no, read no, rw no, padmin no, other no",
            ),
        ];
        for (platform, role, expected) in table {
            let u = user(platform, role, p);
            let yes = |n| {
                if authorize(&u, n).is_ok() {
                    "yes"
                } else {
                    "no"
                }
            };
            let got = format!(
                "signed {}, admin {}, owner {}, read {}, rw {}, padmin {}, other {}",
                yes(Need::Signed),
                yes(Need::PlatformAdmin),
                yes(Need::PlatformOwner),
                yes(Need::Project(p, ProjectRole::Read)),
                yes(Need::Project(p, ProjectRole::ReadWrite)),
                yes(Need::Project(p, ProjectRole::Admin)),
                yes(Need::Project(other, ProjectRole::Read)),
            );
            assert!(expected.ends_with(&got), "{platform:?} {role:?}: {got}");
        }
    }
}
