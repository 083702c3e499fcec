//! The actor guard: who may start runs.

use serde::{Deserialize, Serialize};

use super::event::{Event, Login, SenderKind};
use super::reason::ReasonCode;

/// A platform-wide role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    /// The single platform owner.
    Owner,
    /// A platform admin.
    Admin,
}

/// A role inside the project the repository is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    /// May look, not act.
    Read,
    /// May work in the project, including starting runs.
    ReadWrite,
    /// May manage the project.
    Admin,
}

/// What the platform knows about the acting person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Access {
    /// The GitHub login maps to no platform user.
    #[default]
    Unregistered,
    /// A platform user.
    User {
        /// Their platform-wide role, if any.
        platform: Option<PlatformRole>,
        /// Their role in the repository's project, if a member.
        project: Option<ProjectRole>,
    },
}

impl Access {
    /// Whether this person may start runs; the error is the reason code to record.
    pub fn permits_runs(&self) -> Result<(), ReasonCode> {
        match self {
            Self::Unregistered => Err(ReasonCode::SenderNotPlatformUser),
            Self::User {
                platform: Some(_), ..
            }
            | Self::User {
                project: Some(ProjectRole::Admin | ProjectRole::ReadWrite),
                ..
            } => Ok(()),
            Self::User {
                project: Some(ProjectRole::Read),
                ..
            } => Err(ReasonCode::SenderRoleReadNotPermitted),
            Self::User { project: None, .. } => Err(ReasonCode::SenderNotProjectMember),
        }
    }
}

/// Checks that a person, not an app or the platform bot itself, caused the event.
///
/// A label the platform bot applied on behalf of a confirmed human passes;
/// [`Access`] must then describe that human.
pub(crate) fn check_sender(event: &Event, bot: &Login) -> Result<(), ReasonCode> {
    let sender = &event.sender;
    if sender.login == *bot && event.on_behalf_of.is_some() {
        return Ok(());
    }
    if sender.kind != SenderKind::User {
        return Err(ReasonCode::SenderNotHuman);
    }
    if sender.login == *bot {
        return Err(ReasonCode::SenderIsPlatformBot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::fixture::{check, issue_labeled, pr_review};
    use crate::{Access, Facts, PlatformRole, ProjectRole};

    fn user(platform: Option<PlatformRole>, project: Option<ProjectRole>) -> Access {
        Access::User { platform, project }
    }

    #[test]
    fn only_humans_with_a_writing_role_start_runs() {
        let start = "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch label=run:dev";
        let cases = [
            (Access::Unregistered, "ignore sender_not_platform_user"),
            (user(None, None), "ignore sender_not_project_member"),
            (
                user(None, Some(ProjectRole::Read)),
                "ignore sender_role_read_not_permitted",
            ),
            (user(None, Some(ProjectRole::ReadWrite)), start),
            (user(None, Some(ProjectRole::Admin)), start),
            (user(Some(PlatformRole::Admin), None), start),
            (user(Some(PlatformRole::Owner), None), start),
            (
                user(Some(PlatformRole::Admin), Some(ProjectRole::Read)),
                start,
            ),
        ];
        for (access, expected) in cases {
            check(
                &issue_labeled("run:dev", &[]),
                &Facts::test().with_access(access),
                expected,
            );
        }
    }

    #[test]
    fn apps_and_the_platform_bot_are_ignored_even_with_a_role() {
        let facts = Facts::test().with_access(user(Some(PlatformRole::Owner), None));
        check(
            &issue_labeled("run:dev", &[]).sent_by("renovate[bot]", "Bot"),
            &facts,
            "ignore sender_not_human",
        );
        check(
            &issue_labeled("run:dev", &[]).sent_by("acme", "Organization"),
            &facts,
            "ignore sender_not_human",
        );
        check(
            &issue_labeled("run:dev", &[]).sent_by("Codex-Bot", "User"),
            &facts,
            "ignore sender_is_platform_bot",
        );
        check(
            &pr_review("changes_requested", &["run:dev"]).sent_by("codex-bot", "User"),
            &facts,
            "ignore sender_is_platform_bot",
        );
    }

    #[test]
    fn the_bot_acting_for_a_confirmed_human_is_judged_by_that_human() {
        let event = issue_labeled("run:dev", &[])
            .sent_by("codex-bot", "User")
            .on_behalf_of("ann");
        let admin = Facts::test().with_access(user(None, Some(ProjectRole::Admin)));
        check(
            &event,
            &admin,
            "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch label=run:dev",
        );
        let reader = Facts::test().with_access(user(None, Some(ProjectRole::Read)));
        check(&event, &reader, "ignore sender_role_read_not_permitted");
        let not_bot = issue_labeled("run:dev", &[])
            .sent_by("mallory", "Bot")
            .on_behalf_of("ann");
        check(&not_bot, &admin, "ignore sender_not_human");
    }

    #[test]
    fn an_unbound_repository_gets_a_warning_only_from_a_human() {
        let unbound = Facts::test().unbound();
        check(
            &issue_labeled("run:dev", &[]),
            &unbound,
            "warn repository_not_bound on issue #7",
        );
        check(
            &issue_labeled("run:dev", &[]).sent_by("ci", "Bot"),
            &unbound,
            "ignore sender_not_human",
        );
        check(
            &issue_labeled("bug", &[]),
            &unbound,
            "ignore issue_event_not_trigger_label",
        );
    }
}
