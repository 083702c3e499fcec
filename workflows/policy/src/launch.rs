//! Launch profiles: how much of the main path a task walks.

use serde::{Deserialize, Serialize};

use super::stage::Stage;
use super::trigger::Trigger;

/// How much of the main path a task walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchProfile {
    /// Very short: intake, plan, dev and the late stages.
    QuickFix,
    /// Shortened: skips vision and arch.
    Feature,
    /// The full flow.
    NewService,
}

impl LaunchProfile {
    /// Every profile, smallest first; escalation only goes up this list.
    pub const ALL: [Self; 3] = [Self::QuickFix, Self::Feature, Self::NewService];

    /// Whether the profile walks through `stage`.
    pub fn contains(self, stage: Stage) -> bool {
        use Stage::{Arch, Design, Prd, Vision};
        match self {
            Self::NewService => stage.main_path_index().is_some(),
            Self::Feature => stage.main_path_index().is_some() && !matches!(stage, Vision | Arch),
            Self::QuickFix => {
                stage.main_path_index().is_some() && !matches!(stage, Vision | Prd | Arch | Design)
            }
        }
    }

    /// The first stage after `stage` on the main path that this profile walks through.
    pub fn next_after(self, stage: Stage) -> Option<Stage> {
        let from = stage.main_path_index()?;
        Stage::MAIN_PATH
            .into_iter()
            .skip(from + 1)
            .find(|s| self.contains(*s))
    }

    /// Where a rethink restarts this profile.
    pub fn restart(self) -> Trigger {
        match self {
            Self::NewService => Trigger::Intake,
            Self::Feature => Trigger::Prd,
            Self::QuickFix => Trigger::Plan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LaunchProfile::{Feature, NewService, QuickFix};
    use super::*;
    use crate::fixture::name;

    #[test]
    fn profiles_contain_the_documented_stages() {
        let show = |p: LaunchProfile| {
            Stage::MAIN_PATH
                .into_iter()
                .filter(|s| p.contains(*s))
                .map(name)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            show(NewService),
            "intake vision prd arch design plan dev qa release postdeploy ops"
        );
        assert_eq!(
            show(Feature),
            "intake prd design plan dev qa release postdeploy ops"
        );
        assert_eq!(show(QuickFix), "intake plan dev qa release postdeploy ops");
    }
}
