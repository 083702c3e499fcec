//! The 28 `run:*` triggers: each is a stage, or the revise variant of one.

use serde::{Deserialize, Serialize};

use super::stage::Stage;

/// A `run:*` trigger: a stage, or its revise variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// `run:intake`.
    Intake,
    /// `run:intake:revise`.
    IntakeRevise,
    /// `run:vision`.
    Vision,
    /// `run:vision:revise`.
    VisionRevise,
    /// `run:prd`.
    Prd,
    /// `run:prd:revise`.
    PrdRevise,
    /// `run:arch`.
    Arch,
    /// `run:arch:revise`.
    ArchRevise,
    /// `run:design`.
    Design,
    /// `run:design:revise`.
    DesignRevise,
    /// `run:plan`.
    Plan,
    /// `run:plan:revise`.
    PlanRevise,
    /// `run:dev`.
    Dev,
    /// `run:dev:revise`.
    DevRevise,
    /// `run:doc-audit`.
    DocAudit,
    /// `run:doc-audit:revise`.
    DocAuditRevise,
    /// `run:ai-repair`.
    AiRepair,
    /// `run:qa`.
    Qa,
    /// `run:qa:revise`.
    QaRevise,
    /// `run:release`.
    Release,
    /// `run:release:revise`.
    ReleaseRevise,
    /// `run:postdeploy`.
    Postdeploy,
    /// `run:postdeploy:revise`.
    PostdeployRevise,
    /// `run:ops`.
    Ops,
    /// `run:ops:revise`.
    OpsRevise,
    /// `run:self-improve`.
    SelfImprove,
    /// `run:self-improve:revise`.
    SelfImproveRevise,
    /// `run:rethink`.
    Rethink,
}

impl Trigger {
    /// All 28 triggers, in declaration order (`ALL[t.index()] == t`).
    pub const ALL: [Self; 28] = {
        use Trigger::*;
        [
            Intake,
            IntakeRevise,
            Vision,
            VisionRevise,
            Prd,
            PrdRevise,
            Arch,
            ArchRevise,
            Design,
            DesignRevise,
            Plan,
            PlanRevise,
            Dev,
            DevRevise,
            DocAudit,
            DocAuditRevise,
            AiRepair,
            Qa,
            QaRevise,
            Release,
            ReleaseRevise,
            Postdeploy,
            PostdeployRevise,
            Ops,
            OpsRevise,
            SelfImprove,
            SelfImproveRevise,
            Rethink,
        ]
    };

    /// The stage this trigger starts and whether it is the revise variant.
    pub const fn parts(self) -> (Stage, bool) {
        use Trigger::*;
        match self {
            Intake => (Stage::Intake, false),
            IntakeRevise => (Stage::Intake, true),
            Vision => (Stage::Vision, false),
            VisionRevise => (Stage::Vision, true),
            Prd => (Stage::Prd, false),
            PrdRevise => (Stage::Prd, true),
            Arch => (Stage::Arch, false),
            ArchRevise => (Stage::Arch, true),
            Design => (Stage::Design, false),
            DesignRevise => (Stage::Design, true),
            Plan => (Stage::Plan, false),
            PlanRevise => (Stage::Plan, true),
            Dev => (Stage::Dev, false),
            DevRevise => (Stage::Dev, true),
            DocAudit => (Stage::DocAudit, false),
            DocAuditRevise => (Stage::DocAudit, true),
            AiRepair => (Stage::AiRepair, false),
            Qa => (Stage::Qa, false),
            QaRevise => (Stage::Qa, true),
            Release => (Stage::Release, false),
            ReleaseRevise => (Stage::Release, true),
            Postdeploy => (Stage::Postdeploy, false),
            PostdeployRevise => (Stage::Postdeploy, true),
            Ops => (Stage::Ops, false),
            OpsRevise => (Stage::Ops, true),
            SelfImprove => (Stage::SelfImprove, false),
            SelfImproveRevise => (Stage::SelfImprove, true),
            Rethink => (Stage::Rethink, false),
        }
    }

    /// The stage this trigger starts.
    pub const fn stage(self) -> Stage {
        self.parts().0
    }

    /// Whether this is a `:revise` trigger.
    pub const fn is_revise(self) -> bool {
        self.parts().1
    }

    /// Position in [`Trigger::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The trigger for `stage`, plain or revise; `None` when the stage has no revise variant.
    pub fn of(stage: Stage, revise: bool) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.parts() == (stage, revise))
    }

    /// The label the earlier system used, e.g. `run:doc-audit:revise`.
    pub fn default_label(self) -> String {
        let (stage, revise) = self.parts();
        let suffix = if revise { ":revise" } else { "" };
        format!("run:{}{suffix}", stage.spec().slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_table_is_complete_and_consistent() {
        for (i, trigger) in Trigger::ALL.into_iter().enumerate() {
            assert_eq!(trigger.index(), i);
            assert_eq!(
                Trigger::of(trigger.stage(), trigger.is_revise()),
                Some(trigger)
            );
        }
        for stage in Stage::ALL {
            assert!(Trigger::of(stage, false).is_some(), "{stage:?}");
            assert_eq!(Trigger::of(stage, true).is_some(), stage.spec().revisable);
        }
        let revisable = Stage::ALL.iter().filter(|s| s.spec().revisable).count();
        assert_eq!(revisable, 13);
    }

    #[test]
    fn default_labels_match_the_earlier_system() {
        let labels: Vec<String> = Trigger::ALL.iter().map(|t| t.default_label()).collect();
        assert_eq!(
            labels.join(" "),
            "run:intake run:intake:revise run:vision run:vision:revise run:prd run:prd:revise \
             run:arch run:arch:revise run:design run:design:revise run:plan run:plan:revise \
             run:dev run:dev:revise run:doc-audit run:doc-audit:revise run:ai-repair run:qa \
             run:qa:revise run:release run:release:revise run:postdeploy run:postdeploy:revise \
             run:ops run:ops:revise run:self-improve run:self-improve:revise run:rethink"
        );
    }

    #[test]
    fn trigger_kinds_serialise_as_snake_case() {
        let json = serde_json::to_string(&[Trigger::DocAuditRevise, Trigger::AiRepair])
            .expect("serialise");
        assert_eq!(json, r#"["doc_audit_revise","ai_repair"]"#);
    }
}
