//! The staff API's wire types, generated from `api/openapi.yaml` by typify.
//! Do not edit: `UPDATE_GENERATED=1 cargo test -p testkit wire_types` regenerates this file.
#![allow(unreachable_pub, clippy::all, clippy::pedantic, missing_docs, dead_code, unused_imports)]

/// Error types.
pub mod error {
    /// Error from a `TryFrom` or `FromStr` implementation.
    pub struct ConversionError(::std::borrow::Cow<'static, str>);
    impl ::std::error::Error for ConversionError {}
    impl ::std::fmt::Display for ConversionError {
        fn fmt(
            &self,
            f: &mut ::std::fmt::Formatter<'_>,
        ) -> Result<(), ::std::fmt::Error> {
            ::std::fmt::Display::fmt(&self.0, f)
        }
    }
    impl ::std::fmt::Debug for ConversionError {
        fn fmt(
            &self,
            f: &mut ::std::fmt::Formatter<'_>,
        ) -> Result<(), ::std::fmt::Error> {
            ::std::fmt::Debug::fmt(&self.0, f)
        }
    }
    impl From<&'static str> for ConversionError {
        fn from(value: &'static str) -> Self {
            Self(value.into())
        }
    }
    impl From<String> for ConversionError {
        fn from(value: String) -> Self {
            Self(value.into())
        }
    }
}
///`AccessToken`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "access_token",
///    "expires_in",
///    "token_type"
///  ],
///  "properties": {
///    "access_token": {
///      "type": "string"
///    },
///    "expires_in": {
///      "description": "Seconds.",
///      "type": "integer"
///    },
///    "token_type": {
///      "type": "string",
///      "enum": [
///        "Bearer"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AccessToken {
    pub access_token: ::std::string::String,
    ///Seconds.
    pub expires_in: i64,
    pub token_type: AccessTokenTokenType,
}
///`AccessTokenTokenType`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "Bearer"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum AccessTokenTokenType {
    Bearer,
}
impl ::std::fmt::Display for AccessTokenTokenType {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Bearer => f.write_str("Bearer"),
        }
    }
}
impl ::std::str::FromStr for AccessTokenTokenType {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "Bearer" => Ok(Self::Bearer),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for AccessTokenTokenType {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for AccessTokenTokenType {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for AccessTokenTokenType {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`AgentRole`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "pm",
///    "sa",
///    "em",
///    "dev",
///    "reviewer",
///    "qa",
///    "sre",
///    "km"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum AgentRole {
    #[serde(rename = "pm")]
    Pm,
    #[serde(rename = "sa")]
    Sa,
    #[serde(rename = "em")]
    Em,
    #[serde(rename = "dev")]
    Dev,
    #[serde(rename = "reviewer")]
    Reviewer,
    #[serde(rename = "qa")]
    Qa,
    #[serde(rename = "sre")]
    Sre,
    #[serde(rename = "km")]
    Km,
}
impl ::std::fmt::Display for AgentRole {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Pm => f.write_str("pm"),
            Self::Sa => f.write_str("sa"),
            Self::Em => f.write_str("em"),
            Self::Dev => f.write_str("dev"),
            Self::Reviewer => f.write_str("reviewer"),
            Self::Qa => f.write_str("qa"),
            Self::Sre => f.write_str("sre"),
            Self::Km => f.write_str("km"),
        }
    }
}
impl ::std::str::FromStr for AgentRole {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "pm" => Ok(Self::Pm),
            "sa" => Ok(Self::Sa),
            "em" => Ok(Self::Em),
            "dev" => Ok(Self::Dev),
            "reviewer" => Ok(Self::Reviewer),
            "qa" => Ok(Self::Qa),
            "sre" => Ok(Self::Sre),
            "km" => Ok(Self::Km),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for AgentRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for AgentRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for AgentRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`AgentSession`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "created_at",
///    "file_name",
///    "sha256",
///    "size_bytes",
///    "thread_id",
///    "version"
///  ],
///  "properties": {
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "file_name": {
///      "type": "string"
///    },
///    "sha256": {
///      "type": "string"
///    },
///    "size_bytes": {
///      "type": "integer"
///    },
///    "thread_id": {
///      "type": "string"
///    },
///    "version": {
///      "type": "integer"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AgentSession {
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub file_name: ::std::string::String,
    pub sha256: ::std::string::String,
    pub size_bytes: i64,
    pub thread_id: ::std::string::String,
    pub version: i64,
}
///`Approval`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "allows_custom",
///    "created_at",
///    "decided_by",
///    "expires_at",
///    "id",
///    "kind",
///    "options",
///    "project",
///    "question",
///    "run_id",
///    "state",
///    "tool"
///  ],
///  "properties": {
///    "allows_custom": {
///      "type": "boolean"
///    },
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "decided_by": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "expires_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "kind": {
///      "type": "string",
///      "enum": [
///        "feedback",
///        "secret_sync",
///        "database_lifecycle",
///        "labels"
///      ]
///    },
///    "options": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/ApprovalOption"
///      }
///    },
///    "project": {
///      "type": "string"
///    },
///    "question": {
///      "description": "The Owner question or the action asked for.",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "run_id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "state": {
///      "type": "string",
///      "enum": [
///        "requested",
///        "approved",
///        "denied",
///        "expired",
///        "applied",
///        "failed"
///      ]
///    },
///    "tool": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub allows_custom: bool,
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub decided_by: ::std::option::Option<::std::string::String>,
    pub expires_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub id: ::uuid::Uuid,
    pub kind: ApprovalKind,
    pub options: ::std::vec::Vec<ApprovalOption>,
    pub project: ::std::string::String,
    ///The Owner question or the action asked for.
    pub question: ::std::option::Option<::std::string::String>,
    pub run_id: ::uuid::Uuid,
    pub state: ApprovalState,
    pub tool: ::std::string::String,
}
///`ApprovalKind`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "feedback",
///    "secret_sync",
///    "database_lifecycle",
///    "labels"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum ApprovalKind {
    #[serde(rename = "feedback")]
    Feedback,
    #[serde(rename = "secret_sync")]
    SecretSync,
    #[serde(rename = "database_lifecycle")]
    DatabaseLifecycle,
    #[serde(rename = "labels")]
    Labels,
}
impl ::std::fmt::Display for ApprovalKind {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Feedback => f.write_str("feedback"),
            Self::SecretSync => f.write_str("secret_sync"),
            Self::DatabaseLifecycle => f.write_str("database_lifecycle"),
            Self::Labels => f.write_str("labels"),
        }
    }
}
impl ::std::str::FromStr for ApprovalKind {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "feedback" => Ok(Self::Feedback),
            "secret_sync" => Ok(Self::SecretSync),
            "database_lifecycle" => Ok(Self::DatabaseLifecycle),
            "labels" => Ok(Self::Labels),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for ApprovalKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for ApprovalKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for ApprovalKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`ApprovalOption`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "id",
///    "label"
///  ],
///  "properties": {
///    "id": {
///      "type": "string"
///    },
///    "label": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ApprovalOption {
    pub id: ::std::string::String,
    pub label: ::std::string::String,
}
///`ApprovalPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Approval"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPage {
    pub items: ::std::vec::Vec<Approval>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`ApprovalState`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "requested",
///    "approved",
///    "denied",
///    "expired",
///    "applied",
///    "failed"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum ApprovalState {
    #[serde(rename = "requested")]
    Requested,
    #[serde(rename = "approved")]
    Approved,
    #[serde(rename = "denied")]
    Denied,
    #[serde(rename = "expired")]
    Expired,
    #[serde(rename = "applied")]
    Applied,
    #[serde(rename = "failed")]
    Failed,
}
impl ::std::fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Requested => f.write_str("requested"),
            Self::Approved => f.write_str("approved"),
            Self::Denied => f.write_str("denied"),
            Self::Expired => f.write_str("expired"),
            Self::Applied => f.write_str("applied"),
            Self::Failed => f.write_str("failed"),
        }
    }
}
impl ::std::str::FromStr for ApprovalState {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "requested" => Ok(Self::Requested),
            "approved" => Ok(Self::Approved),
            "denied" => Ok(Self::Denied),
            "expired" => Ok(Self::Expired),
            "applied" => Ok(Self::Applied),
            "failed" => Ok(Self::Failed),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for ApprovalState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for ApprovalState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for ApprovalState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`AuditEvent`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "attempt",
///    "created_at",
///    "detail",
///    "id",
///    "kind",
///    "run_id",
///    "step_seq"
///  ],
///  "properties": {
///    "attempt": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "detail": {
///      "type": "object"
///    },
///    "id": {
///      "type": "integer"
///    },
///    "kind": {
///      "type": "string"
///    },
///    "run_id": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "uuid"
///    },
///    "step_seq": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    pub attempt: ::std::option::Option<i64>,
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub detail: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
    pub id: i64,
    pub kind: ::std::string::String,
    pub run_id: ::std::option::Option<::uuid::Uuid>,
    pub step_seq: ::std::option::Option<i64>,
}
///`AuditPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/AuditEvent"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AuditPage {
    pub items: ::std::vec::Vec<AuditEvent>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`CancelRequest`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "properties": {
///    "reason": {
///      "type": "string",
///      "maxLength": 500,
///      "minLength": 1
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub reason: ::std::option::Option<CancelRequestReason>,
}
impl ::std::default::Default for CancelRequest {
    fn default() -> Self {
        Self { reason: Default::default() }
    }
}
///`CancelRequestReason`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 500,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct CancelRequestReason(::std::string::String);
impl ::std::ops::Deref for CancelRequestReason {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<CancelRequestReason> for ::std::string::String {
    fn from(value: CancelRequestReason) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for CancelRequestReason {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 500usize {
            return Err("longer than 500 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for CancelRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for CancelRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for CancelRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for CancelRequestReason {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`DecisionRequest`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "decision"
///  ],
///  "properties": {
///    "custom_answer": {
///      "type": "string",
///      "maxLength": 8192,
///      "minLength": 1
///    },
///    "decision": {
///      "type": "string",
///      "enum": [
///        "approved",
///        "denied"
///      ]
///    },
///    "option_id": {
///      "type": "string",
///      "maxLength": 100,
///      "minLength": 1
///    },
///    "reason": {
///      "type": "string",
///      "maxLength": 500,
///      "minLength": 1
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub custom_answer: ::std::option::Option<DecisionRequestCustomAnswer>,
    pub decision: DecisionRequestDecision,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub option_id: ::std::option::Option<DecisionRequestOptionId>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub reason: ::std::option::Option<DecisionRequestReason>,
}
///`DecisionRequestCustomAnswer`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 8192,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct DecisionRequestCustomAnswer(::std::string::String);
impl ::std::ops::Deref for DecisionRequestCustomAnswer {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<DecisionRequestCustomAnswer> for ::std::string::String {
    fn from(value: DecisionRequestCustomAnswer) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for DecisionRequestCustomAnswer {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 8192usize {
            return Err("longer than 8192 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for DecisionRequestCustomAnswer {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for DecisionRequestCustomAnswer {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for DecisionRequestCustomAnswer {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for DecisionRequestCustomAnswer {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`DecisionRequestDecision`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "approved",
///    "denied"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum DecisionRequestDecision {
    #[serde(rename = "approved")]
    Approved,
    #[serde(rename = "denied")]
    Denied,
}
impl ::std::fmt::Display for DecisionRequestDecision {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Approved => f.write_str("approved"),
            Self::Denied => f.write_str("denied"),
        }
    }
}
impl ::std::str::FromStr for DecisionRequestDecision {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "approved" => Ok(Self::Approved),
            "denied" => Ok(Self::Denied),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for DecisionRequestDecision {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for DecisionRequestDecision {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for DecisionRequestDecision {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`DecisionRequestOptionId`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 100,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct DecisionRequestOptionId(::std::string::String);
impl ::std::ops::Deref for DecisionRequestOptionId {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<DecisionRequestOptionId> for ::std::string::String {
    fn from(value: DecisionRequestOptionId) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for DecisionRequestOptionId {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 100usize {
            return Err("longer than 100 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for DecisionRequestOptionId {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for DecisionRequestOptionId {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for DecisionRequestOptionId {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for DecisionRequestOptionId {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`DecisionRequestReason`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 500,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct DecisionRequestReason(::std::string::String);
impl ::std::ops::Deref for DecisionRequestReason {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<DecisionRequestReason> for ::std::string::String {
    fn from(value: DecisionRequestReason) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for DecisionRequestReason {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 500usize {
            return Err("longer than 500 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for DecisionRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for DecisionRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for DecisionRequestReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for DecisionRequestReason {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`EffectiveTemplate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "body",
///    "locale",
///    "locale_chain",
///    "source",
///    "source_version"
///  ],
///  "properties": {
///    "body": {
///      "type": "string"
///    },
///    "locale": {
///      "description": "The locale the body is written in.",
///      "type": "string"
///    },
///    "locale_chain": {
///      "description": "The locales looked up",
///      "type": "array",
///      "items": {
///        "type": "string"
///      },
///      "in order.": null
///    },
///    "source": {
///      "type": "string",
///      "enum": [
///        "project_override",
///        "system_override",
///        "repo_seed"
///      ]
///    },
///    "source_version": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EffectiveTemplate {
    pub body: ::std::string::String,
    ///The locale the body is written in.
    pub locale: ::std::string::String,
    ///The locales looked up
    pub locale_chain: ::std::vec::Vec<::std::string::String>,
    pub source: EffectiveTemplateSource,
    pub source_version: ::std::option::Option<i64>,
}
///`EffectiveTemplateSource`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "project_override",
///    "system_override",
///    "repo_seed"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum EffectiveTemplateSource {
    #[serde(rename = "project_override")]
    ProjectOverride,
    #[serde(rename = "system_override")]
    SystemOverride,
    #[serde(rename = "repo_seed")]
    RepoSeed,
}
impl ::std::fmt::Display for EffectiveTemplateSource {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::ProjectOverride => f.write_str("project_override"),
            Self::SystemOverride => f.write_str("system_override"),
            Self::RepoSeed => f.write_str("repo_seed"),
        }
    }
}
impl ::std::str::FromStr for EffectiveTemplateSource {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "project_override" => Ok(Self::ProjectOverride),
            "system_override" => Ok(Self::SystemOverride),
            "repo_seed" => Ok(Self::RepoSeed),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for EffectiveTemplateSource {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for EffectiveTemplateSource {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for EffectiveTemplateSource {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`EngineState`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "budget_ms",
///    "budget_remaining_ms",
///    "budget_spent_ms",
///    "deadline_at",
///    "end_reason",
///    "error",
///    "parked",
///    "status"
///  ],
///  "properties": {
///    "budget_ms": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "budget_remaining_ms": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "budget_spent_ms": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "deadline_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "end_reason": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "error": {
///      "description": "Why the run failed",
///      "was cancelled or timed out.": null
///    },
///    "parked": {
///      "description": "Why the run is parked (code",
///      "message).": null
///    },
///    "status": {
///      "$ref": "#/definitions/RunStatus"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EngineState {
    pub budget_ms: ::std::option::Option<i64>,
    pub budget_remaining_ms: ::std::option::Option<i64>,
    pub budget_spent_ms: ::std::option::Option<i64>,
    pub deadline_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub end_reason: ::std::option::Option<::std::string::String>,
    ///Why the run failed
    pub error: ::serde_json::Value,
    ///Why the run is parked (code
    pub parked: ::serde_json::Value,
    pub status: RunStatus,
}
///`EnvironmentDeleted`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "namespace",
///    "run_id"
///  ],
///  "properties": {
///    "namespace": {
///      "type": "string"
///    },
///    "run_id": {
///      "type": "string",
///      "format": "uuid"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentDeleted {
    pub namespace: ::std::string::String,
    pub run_id: ::uuid::Uuid,
}
///`EnvironmentJob`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "name",
///    "reason",
///    "started_at",
///    "state"
///  ],
///  "properties": {
///    "name": {
///      "type": "string"
///    },
///    "reason": {
///      "description": "the agent's exit code, or the infrastructure's reason (OOMKilled, Evicted, ...)",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "started_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "state": {
///      "type": "string",
///      "enum": [
///        "running",
///        "succeeded",
///        "failed"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentJob {
    pub name: ::std::string::String,
    ///the agent's exit code, or the infrastructure's reason (OOMKilled, Evicted, ...)
    pub reason: ::std::option::Option<::std::string::String>,
    pub started_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub state: EnvironmentJobState,
}
///`EnvironmentJobState`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "running",
///    "succeeded",
///    "failed"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum EnvironmentJobState {
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "succeeded")]
    Succeeded,
    #[serde(rename = "failed")]
    Failed,
}
impl ::std::fmt::Display for EnvironmentJobState {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Running => f.write_str("running"),
            Self::Succeeded => f.write_str("succeeded"),
            Self::Failed => f.write_str("failed"),
        }
    }
}
impl ::std::str::FromStr for EnvironmentJobState {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for EnvironmentJobState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for EnvironmentJobState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for EnvironmentJobState {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`EnvironmentPod`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "name",
///    "phase",
///    "reason",
///    "restarts"
///  ],
///  "properties": {
///    "name": {
///      "type": "string"
///    },
///    "phase": {
///      "type": "string"
///    },
///    "reason": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "restarts": {
///      "type": "integer",
///      "minimum": 0.0
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentPod {
    pub name: ::std::string::String,
    pub phase: ::std::string::String,
    pub reason: ::std::option::Option<::std::string::String>,
    pub restarts: u64,
}
///A Secret's name and key names; its values are never returned.
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "description": "A Secret's name and key names; its values are never returned.",
///  "type": "object",
///  "required": [
///    "keys",
///    "managed",
///    "name"
///  ],
///  "properties": {
///    "keys": {
///      "type": "array",
///      "items": {
///        "type": "string"
///      }
///    },
///    "managed": {
///      "description": "created by the platform",
///      "type": "boolean"
///    },
///    "name": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSecret {
    pub keys: ::std::vec::Vec<::std::string::String>,
    ///created by the platform
    pub managed: bool,
    pub name: ::std::string::String,
}
///`FieldError`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "field",
///    "message"
///  ],
///  "properties": {
///    "field": {
///      "description": "Where: `body/slug`, `query/limit`, `path/run_id`, `header/Authorization`.",
///      "type": "string"
///    },
///    "message": {
///      "type": "string"
///    }
///  }
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
pub struct FieldError {
    ///Where: `body/slug`, `query/limit`, `path/run_id`, `header/Authorization`.
    pub field: ::std::string::String,
    pub message: ::std::string::String,
}
///`LabelDiff`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "added_labels",
///    "final_labels",
///    "removed_labels"
///  ],
///  "properties": {
///    "added_labels": {
///      "type": "array",
///      "items": {
///        "type": "string"
///      }
///    },
///    "final_labels": {
///      "type": "array",
///      "items": {
///        "type": "string"
///      }
///    },
///    "removed_labels": {
///      "type": "array",
///      "items": {
///        "type": "string"
///      }
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct LabelDiff {
    pub added_labels: ::std::vec::Vec<::std::string::String>,
    pub final_labels: ::std::vec::Vec<::std::string::String>,
    pub removed_labels: ::std::vec::Vec<::std::string::String>,
}
///`Locale`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "en",
///    "ru"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "ru")]
    Ru,
}
impl ::std::fmt::Display for Locale {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::En => f.write_str("en"),
            Self::Ru => f.write_str("ru"),
        }
    }
}
impl ::std::str::FromStr for Locale {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "en" => Ok(Self::En),
            "ru" => Ok(Self::Ru),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for Locale {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for Locale {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for Locale {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`Me`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "memberships",
///    "user"
///  ],
///  "properties": {
///    "memberships": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Membership"
///      }
///    },
///    "user": {
///      "$ref": "#/definitions/User"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Me {
    pub memberships: ::std::vec::Vec<Membership>,
    pub user: User,
}
///`Member`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "email",
///    "github_login",
///    "learning_mode_override",
///    "role",
///    "user_id"
///  ],
///  "properties": {
///    "email": {
///      "type": "string"
///    },
///    "github_login": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "learning_mode_override": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "role": {
///      "$ref": "#/definitions/ProjectRole"
///    },
///    "user_id": {
///      "type": "string",
///      "format": "uuid"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub email: ::std::string::String,
    pub github_login: ::std::option::Option<::std::string::String>,
    pub learning_mode_override: ::std::option::Option<bool>,
    pub role: ProjectRole,
    pub user_id: ::uuid::Uuid,
}
///`MemberPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Member"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct MemberPage {
    pub items: ::std::vec::Vec<Member>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`MemberSet`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "role"
///  ],
///  "properties": {
///    "learning_mode_override": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "role": {
///      "$ref": "#/definitions/ProjectRole"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct MemberSet {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub learning_mode_override: ::std::option::Option<bool>,
    pub role: ProjectRole,
}
///`Membership`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "project",
///    "role"
///  ],
///  "properties": {
///    "project": {
///      "type": "string"
///    },
///    "role": {
///      "$ref": "#/definitions/ProjectRole"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub project: ::std::string::String,
    pub role: ProjectRole,
}
///`NextStepExecute`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "action_kind",
///    "expected_labels",
///    "repository_full_name",
///    "target_label"
///  ],
///  "properties": {
///    "action_kind": {
///      "type": "string",
///      "enum": [
///        "issue_stage_transition",
///        "pull_request_label_add"
///      ]
///    },
///    "expected_labels": {
///      "description": "The thread's labels the preview saw (`current_labels`); a changed thread is refused.",
///      "type": "array",
///      "items": {
///        "type": "string",
///        "maxLength": 100,
///        "minLength": 1
///      },
///      "maxItems": 100
///    },
///    "issue_number": {
///      "type": "integer",
///      "maximum": 2147483647.0,
///      "minimum": 1.0
///    },
///    "pull_request_number": {
///      "type": "integer",
///      "maximum": 2147483647.0,
///      "minimum": 1.0
///    },
///    "repository_full_name": {
///      "type": "string",
///      "maxLength": 201,
///      "minLength": 3,
///      "pattern": "^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$"
///    },
///    "target_label": {
///      "type": "string",
///      "maxLength": 100,
///      "minLength": 1
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct NextStepExecute {
    pub action_kind: NextStepExecuteActionKind,
    ///The thread's labels the preview saw (`current_labels`); a changed thread is refused.
    pub expected_labels: ::std::vec::Vec<NextStepExecuteExpectedLabelsItem>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub issue_number: ::std::option::Option<::std::num::NonZeroU64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub pull_request_number: ::std::option::Option<::std::num::NonZeroU64>,
    pub repository_full_name: NextStepExecuteRepositoryFullName,
    pub target_label: NextStepExecuteTargetLabel,
}
///`NextStepExecuteActionKind`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "issue_stage_transition",
///    "pull_request_label_add"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum NextStepExecuteActionKind {
    #[serde(rename = "issue_stage_transition")]
    IssueStageTransition,
    #[serde(rename = "pull_request_label_add")]
    PullRequestLabelAdd,
}
impl ::std::fmt::Display for NextStepExecuteActionKind {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::IssueStageTransition => f.write_str("issue_stage_transition"),
            Self::PullRequestLabelAdd => f.write_str("pull_request_label_add"),
        }
    }
}
impl ::std::str::FromStr for NextStepExecuteActionKind {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "issue_stage_transition" => Ok(Self::IssueStageTransition),
            "pull_request_label_add" => Ok(Self::PullRequestLabelAdd),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for NextStepExecuteActionKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for NextStepExecuteActionKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for NextStepExecuteActionKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`NextStepExecuteExpectedLabelsItem`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 100,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct NextStepExecuteExpectedLabelsItem(::std::string::String);
impl ::std::ops::Deref for NextStepExecuteExpectedLabelsItem {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<NextStepExecuteExpectedLabelsItem> for ::std::string::String {
    fn from(value: NextStepExecuteExpectedLabelsItem) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for NextStepExecuteExpectedLabelsItem {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 100usize {
            return Err("longer than 100 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for NextStepExecuteExpectedLabelsItem {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String>
for NextStepExecuteExpectedLabelsItem {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String>
for NextStepExecuteExpectedLabelsItem {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for NextStepExecuteExpectedLabelsItem {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`NextStepExecuteRepositoryFullName`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 201,
///  "minLength": 3,
///  "pattern": "^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct NextStepExecuteRepositoryFullName(::std::string::String);
impl ::std::ops::Deref for NextStepExecuteRepositoryFullName {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<NextStepExecuteRepositoryFullName> for ::std::string::String {
    fn from(value: NextStepExecuteRepositoryFullName) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for NextStepExecuteRepositoryFullName {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 201usize {
            return Err("longer than 201 characters".into());
        }
        if value.chars().count() < 3usize {
            return Err("shorter than 3 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err(
                "doesn't match pattern \"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$\"".into(),
            );
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for NextStepExecuteRepositoryFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String>
for NextStepExecuteRepositoryFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String>
for NextStepExecuteRepositoryFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for NextStepExecuteRepositoryFullName {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`NextStepExecuteTargetLabel`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 100,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct NextStepExecuteTargetLabel(::std::string::String);
impl ::std::ops::Deref for NextStepExecuteTargetLabel {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<NextStepExecuteTargetLabel> for ::std::string::String {
    fn from(value: NextStepExecuteTargetLabel) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for NextStepExecuteTargetLabel {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 100usize {
            return Err("longer than 100 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for NextStepExecuteTargetLabel {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for NextStepExecuteTargetLabel {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for NextStepExecuteTargetLabel {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for NextStepExecuteTargetLabel {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`NextStepPreview`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "action_kind",
///    "current_labels",
///    "diff",
///    "repository_full_name",
///    "target_label",
///    "thread_number"
///  ],
///  "properties": {
///    "action_kind": {
///      "type": "string"
///    },
///    "current_labels": {
///      "type": "array",
///      "items": {
///        "type": "string"
///      }
///    },
///    "diff": {
///      "$ref": "#/definitions/LabelDiff"
///    },
///    "repository_full_name": {
///      "type": "string"
///    },
///    "target_label": {
///      "type": "string"
///    },
///    "thread_number": {
///      "type": "integer"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct NextStepPreview {
    pub action_kind: ::std::string::String,
    pub current_labels: ::std::vec::Vec<::std::string::String>,
    pub diff: LabelDiff,
    pub repository_full_name: ::std::string::String,
    pub target_label: ::std::string::String,
    pub thread_number: i64,
}
///`PlatformRole`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "owner",
///    "admin",
///    "none"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum PlatformRole {
    #[serde(rename = "owner")]
    Owner,
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "none")]
    None,
}
impl ::std::fmt::Display for PlatformRole {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Owner => f.write_str("owner"),
            Self::Admin => f.write_str("admin"),
            Self::None => f.write_str("none"),
        }
    }
}
impl ::std::str::FromStr for PlatformRole {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "none" => Ok(Self::None),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for PlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for PlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for PlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///RFC 9457 problem details; `code` is stable and never renumbered.
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "description": "RFC 9457 problem details; `code` is stable and never renumbered.",
///  "type": "object",
///  "required": [
///    "code",
///    "status",
///    "title",
///    "type"
///  ],
///  "properties": {
///    "code": {
///      "type": "string"
///    },
///    "detail": {
///      "type": "string"
///    },
///    "errors": {
///      "description": "Each request field that broke the contract.",
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/FieldError"
///      }
///    },
///    "status": {
///      "type": "integer"
///    },
///    "title": {
///      "type": "string"
///    },
///    "type": {
///      "type": "string"
///    }
///  }
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
pub struct Problem {
    pub code: ::std::string::String,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    ///Each request field that broke the contract.
    #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
    pub errors: ::std::vec::Vec<FieldError>,
    pub status: i64,
    pub title: ::std::string::String,
    #[serde(rename = "type")]
    pub type_: ::std::string::String,
}
///`Project`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "created_at",
///    "id",
///    "learning_mode_default",
///    "locale",
///    "max_active_runs",
///    "name",
///    "slug"
///  ],
///  "properties": {
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "learning_mode_default": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "locale": {
///      "oneOf": [
///        {
///          "$ref": "#/definitions/Locale"
///        },
///        {
///          "type": "null"
///        }
///      ]
///    },
///    "max_active_runs": {
///      "type": "integer"
///    },
///    "name": {
///      "type": "string"
///    },
///    "slug": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub id: ::uuid::Uuid,
    pub learning_mode_default: ::std::option::Option<bool>,
    pub locale: ::std::option::Option<Locale>,
    pub max_active_runs: i64,
    pub name: ::std::string::String,
    pub slug: ::std::string::String,
}
///`ProjectCreate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "name",
///    "slug"
///  ],
///  "properties": {
///    "learning_mode_default": {
///      "type": "boolean"
///    },
///    "locale": {
///      "$ref": "#/definitions/Locale"
///    },
///    "max_active_runs": {
///      "default": 2,
///      "type": "integer",
///      "maximum": 100.0,
///      "minimum": 1.0
///    },
///    "name": {
///      "type": "string",
///      "maxLength": 200,
///      "minLength": 1,
///      "pattern": "\\S"
///    },
///    "slug": {
///      "$ref": "#/definitions/Slug"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProjectCreate {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub learning_mode_default: ::std::option::Option<bool>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub locale: ::std::option::Option<Locale>,
    #[serde(default = "defaults::default_nzu64::<::std::num::NonZeroU64, 2>")]
    pub max_active_runs: ::std::num::NonZeroU64,
    pub name: ProjectCreateName,
    pub slug: Slug,
}
///`ProjectCreateName`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 200,
///  "minLength": 1,
///  "pattern": "\\S"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct ProjectCreateName(::std::string::String);
impl ::std::ops::Deref for ProjectCreateName {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<ProjectCreateName> for ::std::string::String {
    fn from(value: ProjectCreateName) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for ProjectCreateName {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 200usize {
            return Err("longer than 200 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("\\S").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"\\S\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for ProjectCreateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for ProjectCreateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for ProjectCreateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for ProjectCreateName {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`ProjectPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Project"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProjectPage {
    pub items: ::std::vec::Vec<Project>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`ProjectRole`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "read",
///    "read_write",
///    "admin"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum ProjectRole {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "read_write")]
    ReadWrite,
    #[serde(rename = "admin")]
    Admin,
}
impl ::std::fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Read => f.write_str("read"),
            Self::ReadWrite => f.write_str("read_write"),
            Self::Admin => f.write_str("admin"),
        }
    }
}
impl ::std::str::FromStr for ProjectRole {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "read" => Ok(Self::Read),
            "read_write" => Ok(Self::ReadWrite),
            "admin" => Ok(Self::Admin),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for ProjectRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for ProjectRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for ProjectRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`ProjectUpdate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "properties": {
///    "learning_mode_default": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "locale": {
///      "oneOf": [
///        {
///          "$ref": "#/definitions/Locale"
///        },
///        {
///          "type": "null"
///        }
///      ]
///    },
///    "max_active_runs": {
///      "type": "integer",
///      "maximum": 100.0,
///      "minimum": 1.0
///    },
///    "name": {
///      "type": "string",
///      "maxLength": 200,
///      "minLength": 1,
///      "pattern": "\\S"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProjectUpdate {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub learning_mode_default: ::std::option::Option<bool>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub locale: ::std::option::Option<Locale>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub max_active_runs: ::std::option::Option<::std::num::NonZeroU64>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub name: ::std::option::Option<ProjectUpdateName>,
}
impl ::std::default::Default for ProjectUpdate {
    fn default() -> Self {
        Self {
            learning_mode_default: Default::default(),
            locale: Default::default(),
            max_active_runs: Default::default(),
            name: Default::default(),
        }
    }
}
///`ProjectUpdateName`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 200,
///  "minLength": 1,
///  "pattern": "\\S"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct ProjectUpdateName(::std::string::String);
impl ::std::ops::Deref for ProjectUpdateName {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<ProjectUpdateName> for ::std::string::String {
    fn from(value: ProjectUpdateName) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for ProjectUpdateName {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 200usize {
            return Err("longer than 200 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("\\S").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"\\S\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for ProjectUpdateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for ProjectUpdateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for ProjectUpdateName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for ProjectUpdateName {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`PromptOverrideRetire`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "expected_active"
///  ],
///  "properties": {
///    "expected_active": {
///      "description": "The version seen as active; a different one (or none) is a conflict.",
///      "type": "integer",
///      "maximum": 2147483647.0,
///      "minimum": 1.0
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptOverrideRetire {
    ///The version seen as active; a different one (or none) is a conflict.
    pub expected_active: ::std::num::NonZeroU64,
}
///`PromptTemplate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "kind",
///    "locale",
///    "role",
///    "scope",
///    "seed",
///    "versions"
///  ],
///  "properties": {
///    "kind": {
///      "type": "string"
///    },
///    "locale": {
///      "type": "string"
///    },
///    "role": {
///      "type": "string"
///    },
///    "scope": {
///      "description": "`system` or the project slug.",
///      "type": "string"
///    },
///    "seed": {
///      "description": "The repo seed embedded in this build.",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "versions": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/PromptVersion"
///      }
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplate {
    pub kind: ::std::string::String,
    pub locale: ::std::string::String,
    pub role: ::std::string::String,
    ///`system` or the project slug.
    pub scope: ::std::string::String,
    ///The repo seed embedded in this build.
    pub seed: ::std::option::Option<::std::string::String>,
    pub versions: ::std::vec::Vec<PromptVersion>,
}
///`PromptTemplatePage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/PromptTemplateSummary"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplatePage {
    pub items: ::std::vec::Vec<PromptTemplateSummary>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`PromptTemplateSummary`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "active_version",
///    "has_seed",
///    "kind",
///    "locale",
///    "role",
///    "versions"
///  ],
///  "properties": {
///    "active_version": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "has_seed": {
///      "type": "boolean"
///    },
///    "kind": {
///      "type": "string"
///    },
///    "locale": {
///      "type": "string"
///    },
///    "role": {
///      "type": "string"
///    },
///    "versions": {
///      "type": "integer"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplateSummary {
    pub active_version: ::std::option::Option<i64>,
    pub has_seed: bool,
    pub kind: ::std::string::String,
    pub locale: ::std::string::String,
    pub role: ::std::string::String,
    pub versions: i64,
}
///`PromptVersion`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "activated_at",
///    "activated_by",
///    "body",
///    "change_reason",
///    "created_at",
///    "created_by",
///    "is_active",
///    "version"
///  ],
///  "properties": {
///    "activated_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "activated_by": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "body": {
///      "type": "string"
///    },
///    "change_reason": {
///      "type": "string"
///    },
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "created_by": {
///      "type": "string"
///    },
///    "is_active": {
///      "type": "boolean"
///    },
///    "version": {
///      "type": "integer"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptVersion {
    pub activated_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub activated_by: ::std::option::Option<::std::string::String>,
    pub body: ::std::string::String,
    pub change_reason: ::std::string::String,
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub created_by: ::std::string::String,
    pub is_active: bool,
    pub version: i64,
}
///`PromptVersionActivate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "expected_active",
///    "version"
///  ],
///  "properties": {
///    "expected_active": {
///      "description": "The version seen as active (null - none); a different one is a conflict.",
///      "type": [
///        "integer",
///        "null"
///      ],
///      "maximum": 2147483647.0,
///      "minimum": 1.0
///    },
///    "version": {
///      "description": "The version to make active.",
///      "type": "integer",
///      "maximum": 2147483647.0,
///      "minimum": 1.0
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptVersionActivate {
    ///The version seen as active (null - none); a different one is a conflict.
    pub expected_active: ::std::option::Option<::std::num::NonZeroU64>,
    ///The version to make active.
    pub version: ::std::num::NonZeroU64,
}
///`PromptVersionCreate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "body",
///    "change_reason"
///  ],
///  "properties": {
///    "body": {
///      "type": "string",
///      "maxLength": 65536,
///      "minLength": 1
///    },
///    "change_reason": {
///      "type": "string",
///      "maxLength": 500,
///      "minLength": 1,
///      "pattern": "\\S"
///    },
///    "expected_active": {
///      "description": "The version seen as active (null - none); a different one is a conflict.",
///      "type": [
///        "integer",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptVersionCreate {
    pub body: PromptVersionCreateBody,
    pub change_reason: PromptVersionCreateChangeReason,
    ///The version seen as active (null - none); a different one is a conflict.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub expected_active: ::std::option::Option<i64>,
}
///`PromptVersionCreateBody`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 65536,
///  "minLength": 1
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct PromptVersionCreateBody(::std::string::String);
impl ::std::ops::Deref for PromptVersionCreateBody {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<PromptVersionCreateBody> for ::std::string::String {
    fn from(value: PromptVersionCreateBody) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for PromptVersionCreateBody {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 65536usize {
            return Err("longer than 65536 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for PromptVersionCreateBody {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for PromptVersionCreateBody {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for PromptVersionCreateBody {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for PromptVersionCreateBody {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`PromptVersionCreateChangeReason`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 500,
///  "minLength": 1,
///  "pattern": "\\S"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct PromptVersionCreateChangeReason(::std::string::String);
impl ::std::ops::Deref for PromptVersionCreateChangeReason {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<PromptVersionCreateChangeReason> for ::std::string::String {
    fn from(value: PromptVersionCreateChangeReason) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for PromptVersionCreateChangeReason {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 500usize {
            return Err("longer than 500 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("\\S").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"\\S\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for PromptVersionCreateChangeReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String>
for PromptVersionCreateChangeReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for PromptVersionCreateChangeReason {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for PromptVersionCreateChangeReason {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`RecordedLink`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "created_at",
///    "kind",
///    "metadata",
///    "target"
///  ],
///  "properties": {
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "kind": {
///      "type": "string",
///      "enum": [
///        "issue",
///        "pull_request",
///        "branch",
///        "commit",
///        "session",
///        "runtime"
///      ]
///    },
///    "metadata": {
///      "type": "object"
///    },
///    "target": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RecordedLink {
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub kind: RecordedLinkKind,
    pub metadata: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
    pub target: ::std::string::String,
}
///`RecordedLinkKind`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "issue",
///    "pull_request",
///    "branch",
///    "commit",
///    "session",
///    "runtime"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum RecordedLinkKind {
    #[serde(rename = "issue")]
    Issue,
    #[serde(rename = "pull_request")]
    PullRequest,
    #[serde(rename = "branch")]
    Branch,
    #[serde(rename = "commit")]
    Commit,
    #[serde(rename = "session")]
    Session,
    #[serde(rename = "runtime")]
    Runtime,
}
impl ::std::fmt::Display for RecordedLinkKind {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Issue => f.write_str("issue"),
            Self::PullRequest => f.write_str("pull_request"),
            Self::Branch => f.write_str("branch"),
            Self::Commit => f.write_str("commit"),
            Self::Session => f.write_str("session"),
            Self::Runtime => f.write_str("runtime"),
        }
    }
}
impl ::std::str::FromStr for RecordedLinkKind {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "issue" => Ok(Self::Issue),
            "pull_request" => Ok(Self::PullRequest),
            "branch" => Ok(Self::Branch),
            "commit" => Ok(Self::Commit),
            "session" => Ok(Self::Session),
            "runtime" => Ok(Self::Runtime),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for RecordedLinkKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RecordedLinkKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RecordedLinkKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`Repository`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "created_at",
///    "default_branch",
///    "full_name",
///    "id",
///    "project",
///    "token_key_id",
///    "token_set",
///    "token_set_at"
///  ],
///  "properties": {
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "default_branch": {
///      "type": "string"
///    },
///    "full_name": {
///      "type": "string"
///    },
///    "id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "project": {
///      "type": "string"
///    },
///    "token_key_id": {
///      "description": "The encryption key id that sealed it.",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "token_set": {
///      "description": "Whether a token is stored; the token itself is never returned.",
///      "type": "boolean"
///    },
///    "token_set_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub default_branch: ::std::string::String,
    pub full_name: ::std::string::String,
    pub id: ::uuid::Uuid,
    pub project: ::std::string::String,
    ///The encryption key id that sealed it.
    pub token_key_id: ::std::option::Option<::std::string::String>,
    ///Whether a token is stored; the token itself is never returned.
    pub token_set: bool,
    pub token_set_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
}
///`RepositoryBind`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "full_name"
///  ],
///  "properties": {
///    "default_branch": {
///      "default": "main",
///      "type": "string",
///      "maxLength": 255,
///      "minLength": 1,
///      "pattern": "^[^\\s]+$"
///    },
///    "full_name": {
///      "type": "string",
///      "maxLength": 201,
///      "minLength": 3,
///      "pattern": "^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$"
///    },
///    "token": {
///      "writeOnly": true,
///      "type": "string",
///      "maxLength": 1024,
///      "minLength": 1,
///      "pattern": "^\\S+$"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepositoryBind {
    #[serde(default = "defaults::repository_bind_default_branch")]
    pub default_branch: RepositoryBindDefaultBranch,
    pub full_name: RepositoryBindFullName,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub token: ::std::option::Option<RepositoryBindToken>,
}
///`RepositoryBindDefaultBranch`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "default": "main",
///  "type": "string",
///  "maxLength": 255,
///  "minLength": 1,
///  "pattern": "^[^\\s]+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct RepositoryBindDefaultBranch(::std::string::String);
impl ::std::ops::Deref for RepositoryBindDefaultBranch {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<RepositoryBindDefaultBranch> for ::std::string::String {
    fn from(value: RepositoryBindDefaultBranch) -> Self {
        value.0
    }
}
impl ::std::default::Default for RepositoryBindDefaultBranch {
    fn default() -> Self {
        RepositoryBindDefaultBranch("main".to_string())
    }
}
impl ::std::str::FromStr for RepositoryBindDefaultBranch {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 255usize {
            return Err("longer than 255 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[^\\s]+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^[^\\s]+$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for RepositoryBindDefaultBranch {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RepositoryBindDefaultBranch {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RepositoryBindDefaultBranch {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for RepositoryBindDefaultBranch {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`RepositoryBindFullName`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 201,
///  "minLength": 3,
///  "pattern": "^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct RepositoryBindFullName(::std::string::String);
impl ::std::ops::Deref for RepositoryBindFullName {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<RepositoryBindFullName> for ::std::string::String {
    fn from(value: RepositoryBindFullName) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for RepositoryBindFullName {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 201usize {
            return Err("longer than 201 characters".into());
        }
        if value.chars().count() < 3usize {
            return Err("shorter than 3 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err(
                "doesn't match pattern \"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$\"".into(),
            );
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for RepositoryBindFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RepositoryBindFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RepositoryBindFullName {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for RepositoryBindFullName {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`RepositoryBindToken`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "writeOnly": true,
///  "type": "string",
///  "maxLength": 1024,
///  "minLength": 1,
///  "pattern": "^\\S+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct RepositoryBindToken(::std::string::String);
impl ::std::ops::Deref for RepositoryBindToken {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<RepositoryBindToken> for ::std::string::String {
    fn from(value: RepositoryBindToken) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for RepositoryBindToken {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 1024usize {
            return Err("longer than 1024 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^\\S+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^\\S+$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for RepositoryBindToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RepositoryBindToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RepositoryBindToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for RepositoryBindToken {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`RepositoryPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Repository"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepositoryPage {
    pub items: ::std::vec::Vec<Repository>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`RepositoryToken`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "token"
///  ],
///  "properties": {
///    "token": {
///      "writeOnly": true,
///      "type": "string",
///      "maxLength": 1024,
///      "minLength": 1,
///      "pattern": "^\\S+$"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepositoryToken {
    pub token: RepositoryTokenToken,
}
///`RepositoryTokenToken`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "writeOnly": true,
///  "type": "string",
///  "maxLength": 1024,
///  "minLength": 1,
///  "pattern": "^\\S+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct RepositoryTokenToken(::std::string::String);
impl ::std::ops::Deref for RepositoryTokenToken {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<RepositoryTokenToken> for ::std::string::String {
    fn from(value: RepositoryTokenToken) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for RepositoryTokenToken {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 1024usize {
            return Err("longer than 1024 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^\\S+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^\\S+$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for RepositoryTokenToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RepositoryTokenToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RepositoryTokenToken {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for RepositoryTokenToken {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`RevealedSecretValue`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "encoding",
///    "key",
///    "value"
///  ],
///  "properties": {
///    "encoding": {
///      "description": "utf-8: the value as stored; base64: bytes that are not text",
///      "type": "string",
///      "enum": [
///        "utf-8",
///        "base64"
///      ]
///    },
///    "key": {
///      "type": "string"
///    },
///    "value": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RevealedSecretValue {
    ///utf-8: the value as stored; base64: bytes that are not text
    pub encoding: RevealedSecretValueEncoding,
    pub key: ::std::string::String,
    pub value: ::std::string::String,
}
///utf-8: the value as stored; base64: bytes that are not text
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "description": "utf-8: the value as stored; base64: bytes that are not text",
///  "type": "string",
///  "enum": [
///    "utf-8",
///    "base64"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum RevealedSecretValueEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "base64")]
    Base64,
}
impl ::std::fmt::Display for RevealedSecretValueEncoding {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Utf8 => f.write_str("utf-8"),
            Self::Base64 => f.write_str("base64"),
        }
    }
}
impl ::std::str::FromStr for RevealedSecretValueEncoding {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "utf-8" => Ok(Self::Utf8),
            "base64" => Ok(Self::Base64),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for RevealedSecretValueEncoding {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RevealedSecretValueEncoding {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RevealedSecretValueEncoding {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`RunActionResult`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "outcome",
///    "run_id"
///  ],
///  "properties": {
///    "outcome": {
///      "type": "string",
///      "enum": [
///        "terminating",
///        "finished",
///        "already_ended",
///        "resumed",
///        "blocked",
///        "not_parked"
///      ]
///    },
///    "run_id": {
///      "type": "string",
///      "format": "uuid"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunActionResult {
    pub outcome: RunActionResultOutcome,
    pub run_id: ::uuid::Uuid,
}
///`RunActionResultOutcome`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "terminating",
///    "finished",
///    "already_ended",
///    "resumed",
///    "blocked",
///    "not_parked"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum RunActionResultOutcome {
    #[serde(rename = "terminating")]
    Terminating,
    #[serde(rename = "finished")]
    Finished,
    #[serde(rename = "already_ended")]
    AlreadyEnded,
    #[serde(rename = "resumed")]
    Resumed,
    #[serde(rename = "blocked")]
    Blocked,
    #[serde(rename = "not_parked")]
    NotParked,
}
impl ::std::fmt::Display for RunActionResultOutcome {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Terminating => f.write_str("terminating"),
            Self::Finished => f.write_str("finished"),
            Self::AlreadyEnded => f.write_str("already_ended"),
            Self::Resumed => f.write_str("resumed"),
            Self::Blocked => f.write_str("blocked"),
            Self::NotParked => f.write_str("not_parked"),
        }
    }
}
impl ::std::str::FromStr for RunActionResultOutcome {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "terminating" => Ok(Self::Terminating),
            "finished" => Ok(Self::Finished),
            "already_ended" => Ok(Self::AlreadyEnded),
            "resumed" => Ok(Self::Resumed),
            "blocked" => Ok(Self::Blocked),
            "not_parked" => Ok(Self::NotParked),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for RunActionResultOutcome {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RunActionResultOutcome {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RunActionResultOutcome {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`RunDetail`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "engine",
///    "events",
///    "links",
///    "run",
///    "sessions",
///    "steps",
///    "token_usage",
///    "waits"
///  ],
///  "properties": {
///    "engine": {
///      "$ref": "#/definitions/EngineState"
///    },
///    "events": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/RunEvent"
///      }
///    },
///    "links": {
///      "$ref": "#/definitions/RunLinks"
///    },
///    "run": {
///      "$ref": "#/definitions/RunSummary"
///    },
///    "sessions": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/AgentSession"
///      }
///    },
///    "steps": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Step"
///      }
///    },
///    "token_usage": {
///      "$ref": "#/definitions/TokenUsage"
///    },
///    "waits": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/Wait"
///      }
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunDetail {
    pub engine: EngineState,
    pub events: ::std::vec::Vec<RunEvent>,
    pub links: RunLinks,
    pub run: RunSummary,
    pub sessions: ::std::vec::Vec<AgentSession>,
    pub steps: ::std::vec::Vec<Step>,
    pub token_usage: TokenUsage,
    pub waits: ::std::vec::Vec<Wait>,
}
///`RunEnvironment`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "environment",
///    "exists",
///    "jobs",
///    "labels",
///    "lease_created_at",
///    "lease_expires_at",
///    "namespace",
///    "pods",
///    "run_id",
///    "secrets",
///    "shared",
///    "view_only"
///  ],
///  "properties": {
///    "environment": {
///      "type": "string",
///      "enum": [
///        "ai_slot",
///        "ai_staging",
///        "prod"
///      ]
///    },
///    "exists": {
///      "description": "false before the run prepared it, or after it was deleted",
///      "type": "boolean"
///    },
///    "jobs": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/EnvironmentJob"
///      }
///    },
///    "labels": {
///      "type": "object",
///      "additionalProperties": {
///        "type": "string"
///      }
///    },
///    "lease_created_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "lease_expires_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "namespace": {
///      "type": "string"
///    },
///    "pods": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/EnvironmentPod"
///      }
///    },
///    "run_id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "secrets": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/EnvironmentSecret"
///      }
///    },
///    "shared": {
///      "description": "the project's code-only namespace, shared by its runs",
///      "type": "boolean"
///    },
///    "view_only": {
///      "description": "the guardrails make it view-only (the platform's own namespace in ai-staging or prod)",
///      "type": "boolean"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunEnvironment {
    pub environment: RunEnvironmentEnvironment,
    ///false before the run prepared it, or after it was deleted
    pub exists: bool,
    pub jobs: ::std::vec::Vec<EnvironmentJob>,
    pub labels: ::std::collections::HashMap<
        ::std::string::String,
        ::std::string::String,
    >,
    pub lease_created_at: ::std::option::Option<
        ::chrono::DateTime<::chrono::offset::Utc>,
    >,
    pub lease_expires_at: ::std::option::Option<
        ::chrono::DateTime<::chrono::offset::Utc>,
    >,
    pub namespace: ::std::string::String,
    pub pods: ::std::vec::Vec<EnvironmentPod>,
    pub run_id: ::uuid::Uuid,
    pub secrets: ::std::vec::Vec<EnvironmentSecret>,
    ///the project's code-only namespace, shared by its runs
    pub shared: bool,
    ///the guardrails make it view-only (the platform's own namespace in ai-staging or prod)
    pub view_only: bool,
}
///`RunEnvironmentEnvironment`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "ai_slot",
///    "ai_staging",
///    "prod"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum RunEnvironmentEnvironment {
    #[serde(rename = "ai_slot")]
    AiSlot,
    #[serde(rename = "ai_staging")]
    AiStaging,
    #[serde(rename = "prod")]
    Prod,
}
impl ::std::fmt::Display for RunEnvironmentEnvironment {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::AiSlot => f.write_str("ai_slot"),
            Self::AiStaging => f.write_str("ai_staging"),
            Self::Prod => f.write_str("prod"),
        }
    }
}
impl ::std::str::FromStr for RunEnvironmentEnvironment {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "ai_slot" => Ok(Self::AiSlot),
            "ai_staging" => Ok(Self::AiStaging),
            "prod" => Ok(Self::Prod),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for RunEnvironmentEnvironment {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RunEnvironmentEnvironment {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RunEnvironmentEnvironment {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`RunEvent`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "at",
///    "attempt",
///    "detail",
///    "id",
///    "kind",
///    "step_seq"
///  ],
///  "properties": {
///    "at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "attempt": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "detail": {
///      "type": "object"
///    },
///    "id": {
///      "description": "The flow event id (null for derived entries).",
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "kind": {
///      "type": "string"
///    },
///    "step_seq": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunEvent {
    pub at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub attempt: ::std::option::Option<i64>,
    pub detail: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
    ///The flow event id (null for derived entries).
    pub id: ::std::option::Option<i64>,
    pub kind: ::std::string::String,
    pub step_seq: ::std::option::Option<i64>,
}
///`RunLinks`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "branch",
///    "issue",
///    "namespace",
///    "pull_request",
///    "recorded"
///  ],
///  "properties": {
///    "branch": {
///      "type": "string"
///    },
///    "issue": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "namespace": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "pull_request": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "recorded": {
///      "description": "What the run touched, in the order it happened (the `links` table).",
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/RecordedLink"
///      }
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunLinks {
    pub branch: ::std::string::String,
    pub issue: ::std::option::Option<::std::string::String>,
    pub namespace: ::std::option::Option<::std::string::String>,
    pub pull_request: ::std::option::Option<::std::string::String>,
    ///What the run touched, in the order it happened (the `links` table).
    pub recorded: ::std::vec::Vec<RecordedLink>,
}
///`RunPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/RunSummary"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunPage {
    pub items: ::std::vec::Vec<RunSummary>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`RunStatus`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "pending",
///    "running",
///    "waiting",
///    "parked",
///    "succeeded",
///    "failed",
///    "cancelled",
///    "timed_out"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum RunStatus {
    #[serde(rename = "pending")]
    Pending,
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "waiting")]
    Waiting,
    #[serde(rename = "parked")]
    Parked,
    #[serde(rename = "succeeded")]
    Succeeded,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "cancelled")]
    Cancelled,
    #[serde(rename = "timed_out")]
    TimedOut,
}
impl ::std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Pending => f.write_str("pending"),
            Self::Running => f.write_str("running"),
            Self::Waiting => f.write_str("waiting"),
            Self::Parked => f.write_str("parked"),
            Self::Succeeded => f.write_str("succeeded"),
            Self::Failed => f.write_str("failed"),
            Self::Cancelled => f.write_str("cancelled"),
            Self::TimedOut => f.write_str("timed_out"),
        }
    }
}
impl ::std::str::FromStr for RunStatus {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "pending" => Ok(Self::Pending),
            "running" => Ok(Self::Running),
            "waiting" => Ok(Self::Waiting),
            "parked" => Ok(Self::Parked),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            "cancelled" => Ok(Self::Cancelled),
            "timed_out" => Ok(Self::TimedOut),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for RunStatus {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for RunStatus {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for RunStatus {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`RunSummary`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "agent_status",
///    "branch",
///    "created_at",
///    "failure",
///    "finished_at",
///    "id",
///    "issue_number",
///    "kind",
///    "project",
///    "pull_request_number",
///    "repository",
///    "role",
///    "stage",
///    "status",
///    "trigger",
///    "wait_state"
///  ],
///  "properties": {
///    "agent_status": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "branch": {
///      "type": "string"
///    },
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "failure": {
///      "description": "Why a run that ended did not succeed: its error code and message (e.g. `github_bad_credentials: step pickup_reaction failed ...`); null while it runs, after a success and after a retry.",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "finished_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "issue_number": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "kind": {
///      "type": "string"
///    },
///    "project": {
///      "type": "string"
///    },
///    "pull_request_number": {
///      "type": [
///        "integer",
///        "null"
///      ]
///    },
///    "repository": {
///      "type": "string"
///    },
///    "role": {
///      "type": "string"
///    },
///    "stage": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "status": {
///      "type": "string"
///    },
///    "trigger": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "wait_state": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    pub agent_status: ::std::option::Option<::std::string::String>,
    pub branch: ::std::string::String,
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    ///Why a run that ended did not succeed: its error code and message (e.g. `github_bad_credentials: step pickup_reaction failed ...`); null while it runs, after a success and after a retry.
    pub failure: ::std::option::Option<::std::string::String>,
    pub finished_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub id: ::uuid::Uuid,
    pub issue_number: ::std::option::Option<i64>,
    pub kind: ::std::string::String,
    pub project: ::std::string::String,
    pub pull_request_number: ::std::option::Option<i64>,
    pub repository: ::std::string::String,
    pub role: ::std::string::String,
    pub stage: ::std::option::Option<::std::string::String>,
    pub status: ::std::string::String,
    pub trigger: ::std::option::Option<::std::string::String>,
    pub wait_state: ::std::option::Option<::std::string::String>,
}
///`SecretRevealed`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "name",
///    "namespace",
///    "run_id",
///    "values"
///  ],
///  "properties": {
///    "name": {
///      "type": "string"
///    },
///    "namespace": {
///      "type": "string"
///    },
///    "run_id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "values": {
///      "description": "By key, sorted.",
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/RevealedSecretValue"
///      }
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct SecretRevealed {
    pub name: ::std::string::String,
    pub namespace: ::std::string::String,
    pub run_id: ::uuid::Uuid,
    ///By key, sorted.
    pub values: ::std::vec::Vec<RevealedSecretValue>,
}
///`Slug`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 63,
///  "minLength": 1,
///  "pattern": "^[a-z0-9][a-z0-9-]*$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct Slug(::std::string::String);
impl ::std::ops::Deref for Slug {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<Slug> for ::std::string::String {
    fn from(value: Slug) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for Slug {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 63usize {
            return Err("longer than 63 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[a-z0-9][a-z0-9-]*$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^[a-z0-9][a-z0-9-]*$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for Slug {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for Slug {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for Slug {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for Slug {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`Step`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "attempts",
///    "duration_ms",
///    "error",
///    "finished_at",
///    "kind",
///    "name",
///    "seq",
///    "started_at",
///    "status"
///  ],
///  "properties": {
///    "attempts": {
///      "type": "integer"
///    },
///    "duration_ms": {
///      "type": "integer"
///    },
///    "error": {
///      "oneOf": [
///        {
///          "$ref": "#/definitions/StepError"
///        },
///        {
///          "type": "null"
///        }
///      ]
///    },
///    "finished_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "kind": {
///      "type": "string"
///    },
///    "name": {
///      "type": "string"
///    },
///    "seq": {
///      "type": "integer"
///    },
///    "started_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "status": {
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub attempts: i64,
    pub duration_ms: i64,
    pub error: ::std::option::Option<StepError>,
    pub finished_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub kind: ::std::string::String,
    pub name: ::std::string::String,
    pub seq: i64,
    pub started_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub status: ::std::string::String,
}
///`StepError`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "cause",
///    "http_status",
///    "message"
///  ],
///  "properties": {
///    "cause": {
///      "description": "The real cause (e.g. the code host's message).",
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "http_status": {
///      "description": "The code host's HTTP status",
///      "type": [
///        "integer",
///        "null"
///      ],
///      "when it answered.": null
///    },
///    "message": {
///      "description": "What failed.",
///      "type": "string"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct StepError {
    ///The real cause (e.g. the code host's message).
    pub cause: ::std::option::Option<::std::string::String>,
    ///The code host's HTTP status
    pub http_status: ::std::option::Option<i64>,
    ///What failed.
    pub message: ::std::string::String,
}
///`TemplateKind`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "work",
///    "revise",
///    "review",
///    "discussion"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum TemplateKind {
    #[serde(rename = "work")]
    Work,
    #[serde(rename = "revise")]
    Revise,
    #[serde(rename = "review")]
    Review,
    #[serde(rename = "discussion")]
    Discussion,
}
impl ::std::fmt::Display for TemplateKind {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Work => f.write_str("work"),
            Self::Revise => f.write_str("revise"),
            Self::Review => f.write_str("review"),
            Self::Discussion => f.write_str("discussion"),
        }
    }
}
impl ::std::str::FromStr for TemplateKind {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "work" => Ok(Self::Work),
            "revise" => Ok(Self::Revise),
            "review" => Ok(Self::Review),
            "discussion" => Ok(Self::Discussion),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for TemplateKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for TemplateKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for TemplateKind {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`TokenUsage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "cached_input_tokens",
///    "input_tokens",
///    "output_tokens",
///    "reasoning_output_tokens",
///    "total_tokens",
///    "turns"
///  ],
///  "properties": {
///    "cached_input_tokens": {
///      "type": "integer"
///    },
///    "input_tokens": {
///      "type": "integer"
///    },
///    "output_tokens": {
///      "type": "integer"
///    },
///    "reasoning_output_tokens": {
///      "type": "integer"
///    },
///    "total_tokens": {
///      "type": "integer"
///    },
///    "turns": {
///      "type": "integer"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct TokenUsage {
    pub cached_input_tokens: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub reasoning_output_tokens: i64,
    pub total_tokens: i64,
    pub turns: i64,
}
///`User`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "created_at",
///    "email",
///    "github_login",
///    "id",
///    "learning_mode_override",
///    "platform_role"
///  ],
///  "properties": {
///    "created_at": {
///      "type": "string",
///      "format": "date-time"
///    },
///    "email": {
///      "type": "string"
///    },
///    "github_login": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "id": {
///      "type": "string",
///      "format": "uuid"
///    },
///    "learning_mode_override": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "platform_role": {
///      "$ref": "#/definitions/PlatformRole"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub created_at: ::chrono::DateTime<::chrono::offset::Utc>,
    pub email: ::std::string::String,
    pub github_login: ::std::option::Option<::std::string::String>,
    pub id: ::uuid::Uuid,
    pub learning_mode_override: ::std::option::Option<bool>,
    pub platform_role: PlatformRole,
}
///`UserCreate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "email"
///  ],
///  "properties": {
///    "email": {
///      "type": "string",
///      "maxLength": 254,
///      "minLength": 3,
///      "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"
///    },
///    "github_login": {
///      "type": "string",
///      "maxLength": 39,
///      "minLength": 1,
///      "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"
///    },
///    "platform_role": {
///      "type": "string",
///      "enum": [
///        "admin",
///        "none"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub email: UserCreateEmail,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub github_login: ::std::option::Option<UserCreateGithubLogin>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub platform_role: ::std::option::Option<UserCreatePlatformRole>,
}
///`UserCreateEmail`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 254,
///  "minLength": 3,
///  "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct UserCreateEmail(::std::string::String);
impl ::std::ops::Deref for UserCreateEmail {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<UserCreateEmail> for ::std::string::String {
    fn from(value: UserCreateEmail) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for UserCreateEmail {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 254usize {
            return Err("longer than 254 characters".into());
        }
        if value.chars().count() < 3usize {
            return Err("shorter than 3 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err(
                "doesn't match pattern \"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$\"".into(),
            );
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for UserCreateEmail {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for UserCreateEmail {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for UserCreateEmail {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for UserCreateEmail {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`UserCreateGithubLogin`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 39,
///  "minLength": 1,
///  "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct UserCreateGithubLogin(::std::string::String);
impl ::std::ops::Deref for UserCreateGithubLogin {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<UserCreateGithubLogin> for ::std::string::String {
    fn from(value: UserCreateGithubLogin) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for UserCreateGithubLogin {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 39usize {
            return Err("longer than 39 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[A-Za-z0-9][A-Za-z0-9-]*$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^[A-Za-z0-9][A-Za-z0-9-]*$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for UserCreateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for UserCreateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for UserCreateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for UserCreateGithubLogin {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`UserCreatePlatformRole`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "admin",
///    "none"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum UserCreatePlatformRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "none")]
    None,
}
impl ::std::fmt::Display for UserCreatePlatformRole {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Admin => f.write_str("admin"),
            Self::None => f.write_str("none"),
        }
    }
}
impl ::std::str::FromStr for UserCreatePlatformRole {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "admin" => Ok(Self::Admin),
            "none" => Ok(Self::None),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for UserCreatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for UserCreatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for UserCreatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`UserPage`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "items",
///    "next_cursor"
///  ],
///  "properties": {
///    "items": {
///      "type": "array",
///      "items": {
///        "$ref": "#/definitions/User"
///      }
///    },
///    "next_cursor": {
///      "type": [
///        "string",
///        "null"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct UserPage {
    pub items: ::std::vec::Vec<User>,
    pub next_cursor: ::std::option::Option<::std::string::String>,
}
///`UserUpdate`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "properties": {
///    "github_login": {
///      "type": "string",
///      "maxLength": 39,
///      "minLength": 1,
///      "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"
///    },
///    "learning_mode_override": {
///      "type": [
///        "boolean",
///        "null"
///      ]
///    },
///    "platform_role": {
///      "type": "string",
///      "enum": [
///        "admin",
///        "none"
///      ]
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub github_login: ::std::option::Option<UserUpdateGithubLogin>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub learning_mode_override: ::std::option::Option<bool>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub platform_role: ::std::option::Option<UserUpdatePlatformRole>,
}
impl ::std::default::Default for UserUpdate {
    fn default() -> Self {
        Self {
            github_login: Default::default(),
            learning_mode_override: Default::default(),
            platform_role: Default::default(),
        }
    }
}
///`UserUpdateGithubLogin`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "maxLength": 39,
///  "minLength": 1,
///  "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"
///}
/// ```
/// </details>
#[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[serde(transparent)]
pub struct UserUpdateGithubLogin(::std::string::String);
impl ::std::ops::Deref for UserUpdateGithubLogin {
    type Target = ::std::string::String;
    fn deref(&self) -> &::std::string::String {
        &self.0
    }
}
impl ::std::convert::From<UserUpdateGithubLogin> for ::std::string::String {
    fn from(value: UserUpdateGithubLogin) -> Self {
        value.0
    }
}
impl ::std::str::FromStr for UserUpdateGithubLogin {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        if value.chars().count() > 39usize {
            return Err("longer than 39 characters".into());
        }
        if value.chars().count() < 1usize {
            return Err("shorter than 1 characters".into());
        }
        static PATTERN: ::std::sync::LazyLock<::regress::Regex> = ::std::sync::LazyLock::new(||
        { ::regress::Regex::new("^[A-Za-z0-9][A-Za-z0-9-]*$").unwrap() });
        if PATTERN.find(value).is_none() {
            return Err("doesn't match pattern \"^[A-Za-z0-9][A-Za-z0-9-]*$\"".into());
        }
        Ok(Self(value.to_string()))
    }
}
impl ::std::convert::TryFrom<&str> for UserUpdateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for UserUpdateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for UserUpdateGithubLogin {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl<'de> ::serde::Deserialize<'de> for UserUpdateGithubLogin {
    fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
    where
        D: ::serde::Deserializer<'de>,
    {
        ::std::string::String::deserialize(deserializer)?
            .parse()
            .map_err(|e: self::error::ConversionError| {
                <D::Error as ::serde::de::Error>::custom(e.to_string())
            })
    }
}
///`UserUpdatePlatformRole`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "string",
///  "enum": [
///    "admin",
///    "none"
///  ]
///}
/// ```
/// </details>
#[derive(
    ::serde::Deserialize,
    ::serde::Serialize,
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd
)]
pub enum UserUpdatePlatformRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "none")]
    None,
}
impl ::std::fmt::Display for UserUpdatePlatformRole {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match *self {
            Self::Admin => f.write_str("admin"),
            Self::None => f.write_str("none"),
        }
    }
}
impl ::std::str::FromStr for UserUpdatePlatformRole {
    type Err = self::error::ConversionError;
    fn from_str(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        match value {
            "admin" => Ok(Self::Admin),
            "none" => Ok(Self::None),
            _ => Err("invalid value".into()),
        }
    }
}
impl ::std::convert::TryFrom<&str> for UserUpdatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &str,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<&::std::string::String> for UserUpdatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: &::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
impl ::std::convert::TryFrom<::std::string::String> for UserUpdatePlatformRole {
    type Error = self::error::ConversionError;
    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, self::error::ConversionError> {
        value.parse()
    }
}
///`Wait`
///
/// <details><summary>JSON schema</summary>
///
/// ```json
///{
///  "type": "object",
///  "required": [
///    "deadline_at",
///    "ended_at",
///    "outcome",
///    "paused_ms",
///    "pausing",
///    "seq",
///    "signal",
///    "started_at"
///  ],
///  "properties": {
///    "deadline_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "ended_at": {
///      "type": [
///        "string",
///        "null"
///      ],
///      "format": "date-time"
///    },
///    "outcome": {
///      "type": [
///        "string",
///        "null"
///      ]
///    },
///    "paused_ms": {
///      "description": "Budget time this wait paused (so far",
///      "type": [
///        "integer",
///        "null"
///      ],
///      "while open).": null
///    },
///    "pausing": {
///      "type": "boolean"
///    },
///    "seq": {
///      "type": "integer"
///    },
///    "signal": {
///      "type": "string"
///    },
///    "started_at": {
///      "type": "string",
///      "format": "date-time"
///    }
///  },
///  "additionalProperties": false
///}
/// ```
/// </details>
#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    pub deadline_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub ended_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
    pub outcome: ::std::option::Option<::std::string::String>,
    ///Budget time this wait paused (so far
    pub paused_ms: ::std::option::Option<i64>,
    pub pausing: bool,
    pub seq: i64,
    pub signal: ::std::string::String,
    pub started_at: ::chrono::DateTime<::chrono::offset::Utc>,
}
/// Generation of default values for serde.
pub mod defaults {
    pub(super) fn default_nzu64<T, const V: u64>() -> T
    where
        T: ::std::convert::TryFrom<::std::num::NonZeroU64>,
        <T as ::std::convert::TryFrom<::std::num::NonZeroU64>>::Error: ::std::fmt::Debug,
    {
        T::try_from(::std::num::NonZeroU64::try_from(V).unwrap()).unwrap()
    }
    pub(super) fn repository_bind_default_branch() -> super::RepositoryBindDefaultBranch {
        super::RepositoryBindDefaultBranch("main".to_string())
    }
}
