//! A stored override version and the key its history belongs to.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::kind::{Kind, role_str};
use super::locale::Locale;
use crate::policy::Role;

/// Whose override a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "project_id")]
pub enum Scope {
    /// Every project that has no override of its own.
    System,
    /// One project.
    Project(Uuid),
}

impl Scope {
    /// The project, or `None` for the system scope.
    pub fn project_id(self) -> Option<Uuid> {
        match self {
            Self::System => None,
            Self::Project(id) => Some(id),
        }
    }
}

/// What a version history belongs to: one scope, role, kind and locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// System or project.
    pub scope: Scope,
    /// The role.
    pub role: Role,
    /// The kind.
    pub kind: Kind,
    /// The locale of the body.
    pub locale: Locale,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = self
            .scope
            .project_id()
            .map_or("system".to_owned(), |id| id.to_string());
        let role = role_str(self.role);
        write!(f, "{scope}/{role}-{}/{}", self.kind, self.locale)
    }
}

/// One stored version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Row id.
    pub id: i64,
    /// What it is a version of.
    pub key: Key,
    /// Its number: 1, 2, 3 … per key, never reused.
    pub version: i32,
    /// The template body.
    pub body: String,
    /// Whether runs use it now.
    pub is_active: bool,
    /// Who wrote it (GitHub login).
    pub created_by: String,
    /// Why it was written.
    pub change_reason: String,
    /// Who last made it active; `None` if it never was.
    pub activated_by: Option<String>,
    /// When it last became active.
    pub activated_at: Option<DateTime<Utc>>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the row last changed (activation or deactivation).
    pub updated_at: DateTime<Utc>,
}
