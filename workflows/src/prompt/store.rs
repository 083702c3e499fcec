//! The `prompt_templates` table: versioned overrides of role bodies, their history, and the
//! run-time lookup. One query per file under `workflows/queries/prompt_templates/`.
//!
//! Writers of one key take a transaction-scoped advisory lock, so "the active version is the one I
//! expected" is checked against committed state; a mismatch is [`Error::VersionConflict`]. Every
//! write is audited in `flow_events` (`prompt_template_version_created`, `_activated`, `_retired`)
//! in its own transaction.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection, PgExecutor, Row};
use uuid::Uuid;

use super::error::{Error, Result, db};
use super::kind::{Kind, ROLES, role_str};
use super::locale::Locale;
use super::lookup::{ActiveOverride, Template, resolve};
use super::render::validate_body;
use super::seed::SeedTable;
use super::version::{Key, Scope, Version};
use crate::policy::{Login, Role};

/// A new version to write; it becomes active and the previous active one is deactivated.
#[derive(Clone, Debug)]
pub struct CreateVersionParams<'a> {
    /// What it is a version of.
    pub key: Key,
    /// The template body; checked with [`validate_body`] first.
    pub body: &'a str,
    /// The version the author saw as active (`None`: none was); anything else is a conflict.
    pub expected_active: Option<i32>,
    /// The staff user writing it.
    pub created_by: &'a Login,
    /// Why; must not be empty.
    pub change_reason: &'a str,
    /// The clock; `None` is the database's `now()`.
    pub now: Option<DateTime<Utc>>,
}

/// Makes an existing version active again (a rollback) instead of the current one.
#[derive(Clone, Debug)]
pub struct ActivateParams<'a> {
    /// What it is a version of.
    pub key: Key,
    /// The version to activate.
    pub version: i32,
    /// The version the caller saw as active (`None`: none was); anything else is a conflict.
    pub expected_active: Option<i32>,
    /// The staff user activating it.
    pub activated_by: &'a Login,
    /// The clock; `None` is the database's `now()`.
    pub now: Option<DateTime<Utc>>,
}

/// What a run needs a template for.
#[derive(Clone, Copy, Debug)]
pub struct EffectiveParams {
    /// The run's project; `None` uses only system overrides and seeds.
    pub project_id: Option<Uuid>,
    /// The role.
    pub role: Role,
    /// The kind.
    pub kind: Kind,
    /// The effective locale ([`Locale::effective`]); English is tried after it.
    pub locale: Locale,
}

/// Writes a new version of `p.key` and makes it the active one, in one transaction.
pub async fn create_version(
    conn: &mut PgConnection,
    p: &CreateVersionParams<'_>,
) -> Result<Version> {
    validate_body(p.key.role, p.key.kind, p.body)?;
    if p.change_reason.trim().is_empty() {
        return Err(Error::EmptyChangeReason);
    }
    let mut tx = conn.begin().await.map_err(db("prompt_template::begin"))?;
    retire_expected(&mut tx, &p.key, p.expected_active, p.now).await?;
    let row = bind_key(
        sqlx::query(include_str!(
            "../../queries/prompt_templates/insert_active.sql"
        )),
        &p.key,
    )
    .bind(p.body)
    .bind(p.created_by.as_str())
    .bind(p.change_reason.trim())
    .bind(p.now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| on_race(e, "prompt_template::insert_active", p.expected_active))?;
    let version = decode(&row)?;
    audit(
        &mut tx,
        "prompt_template_version_created",
        &p.key,
        Some(version.version),
        p.created_by,
    )
    .await?;
    tx.commit().await.map_err(db("prompt_template::commit"))?;
    Ok(version)
}

/// Makes `p.version` of `p.key` the active one, in one transaction.
pub async fn activate(conn: &mut PgConnection, p: &ActivateParams<'_>) -> Result<Version> {
    let mut tx = conn.begin().await.map_err(db("prompt_template::begin"))?;
    retire_expected(&mut tx, &p.key, p.expected_active, p.now).await?;
    let row = bind_key(
        sqlx::query(include_str!(
            "../../queries/prompt_templates/activate_version.sql"
        )),
        &p.key,
    )
    .bind(p.version)
    .bind(p.activated_by.as_str())
    .bind(p.now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| on_race(e, "prompt_template::activate_version", p.expected_active))?
    .ok_or(Error::VersionNotFound { version: p.version })?;
    let version = decode(&row)?;
    audit(
        &mut tx,
        "prompt_template_activated",
        &p.key,
        Some(version.version),
        p.activated_by,
    )
    .await?;
    tx.commit().await.map_err(db("prompt_template::commit"))?;
    Ok(version)
}

/// Deactivates the active version of `key` (retires the override), so runs fall back to the next
/// source (system override or repo seed); its versions stay for a later [`activate`].
/// `expected_active` must name the version that is active now.
pub async fn deactivate(
    conn: &mut PgConnection,
    key: &Key,
    expected_active: i32,
    by: &Login,
) -> Result<()> {
    let mut tx = conn.begin().await.map_err(db("prompt_template::begin"))?;
    retire_expected(&mut tx, key, Some(expected_active), None).await?;
    audit(
        &mut tx,
        "prompt_template_retired",
        key,
        Some(expected_active),
        by,
    )
    .await?;
    tx.commit().await.map_err(db("prompt_template::commit"))
}

/// Records a write of `key` by `by` in `flow_events`, in the writer's transaction.
async fn audit(
    tx: &mut PgConnection,
    kind: &str,
    key: &Key,
    version: Option<i32>,
    by: &Login,
) -> Result<()> {
    let detail = serde_json::json!({
        "key": key.to_string(),
        "project_id": key.scope.project_id(),
        "role": role_str(key.role),
        "kind": key.kind.as_str(),
        "locale": key.locale.as_str(),
        "version": version,
        "actor": by.as_str(),
    });
    sqlx::query(include_str!("../../queries/flow_events/insert.sql"))
        .bind(None::<Uuid>)
        .bind(kind)
        .bind(&detail)
        .execute(&mut *tx)
        .await
        .map_err(db("prompt_template::audit"))?;
    Ok(())
}

/// Every version of `key`, newest first.
pub async fn list_versions(e: impl PgExecutor<'_>, key: &Key) -> Result<Vec<Version>> {
    let rows = bind_key(
        sqlx::query(include_str!(
            "../../queries/prompt_templates/list_versions.sql"
        )),
        key,
    )
    .fetch_all(e)
    .await
    .map_err(db("prompt_template::list_versions"))?;
    rows.iter().map(decode).collect()
}

/// The template a run uses, with its source: project override → system override → repo seed, in
/// `p.locale` and then in English.
pub async fn effective(e: impl PgExecutor<'_>, p: &EffectiveParams) -> Result<Template> {
    let locales: Vec<&str> = p.locale.chain().into_iter().map(Locale::as_str).collect();
    let rows = sqlx::query(include_str!("../../queries/prompt_templates/effective.sql"))
        .bind(p.project_id)
        .bind(role_str(p.role))
        .bind(p.kind.as_str())
        .bind(&locales)
        .fetch_all(e)
        .await
        .map_err(db("prompt_template::effective"))?;
    let overrides = rows
        .iter()
        .map(|row| {
            Ok(ActiveOverride {
                project: col(row, "is_project")?,
                locale: parse_locale(&col::<String>(row, "locale")?)?,
                version: col(row, "version")?,
                body: col(row, "body")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    resolve(p.role, p.kind, p.locale, overrides, &SeedTable::EMBEDDED)
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds `$1..$4`: project id, role, kind, locale.
fn bind_key<'q>(q: Query<'q>, key: &Key) -> Query<'q> {
    q.bind(key.scope.project_id())
        .bind(role_str(key.role))
        .bind(key.kind.as_str())
        .bind(key.locale.as_str())
}

/// Locks `key` for the transaction and deactivates its active version, which must be `expected`.
async fn retire_expected(
    tx: &mut PgConnection,
    key: &Key,
    expected: Option<i32>,
    now: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/prompt_templates/lock_key.sql"))
        .bind(format!("prompt_templates:{key}"))
        .execute(&mut *tx)
        .await
        .map_err(db("prompt_template::lock_key"))?;
    let actual: Option<i32> = bind_key(
        sqlx::query(include_str!(
            "../../queries/prompt_templates/retire_active.sql"
        )),
        key,
    )
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db("prompt_template::retire_active"))?
    .map(|row| row.try_get("version"))
    .transpose()
    .map_err(db("prompt_template::retire_active"))?;
    if actual == expected {
        Ok(())
    } else {
        Err(Error::VersionConflict { expected, actual })
    }
}

/// A writer that skipped the lock (or a bug) hits a unique index: report it as the conflict it is.
fn on_race(e: sqlx::Error, op: &'static str, expected: Option<i32>) -> Error {
    let constraint = e.as_database_error().and_then(|d| d.constraint());
    match constraint {
        Some("prompt_templates_key_version" | "prompt_templates_one_active") => {
            Error::VersionConflict {
                expected,
                actual: None,
            }
        }
        _ => Error::Database { op, source: e },
    }
}

/// Reads column `name` of `row`.
fn col<'r, T>(row: &'r PgRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name).map_err(db("prompt_template::decode"))
}

fn decode(row: &PgRow) -> Result<Version> {
    let role: String = col(row, "role")?;
    let kind: String = col(row, "kind")?;
    let project_id: Option<Uuid> = col(row, "project_id")?;
    Ok(Version {
        id: col(row, "id")?,
        key: Key {
            scope: project_id.map_or(Scope::System, Scope::Project),
            role: ROLES
                .into_iter()
                .find(|r| role_str(*r) == role)
                .ok_or(Error::DecodeRow { column: "role" })?,
            kind: Kind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or(Error::DecodeRow { column: "kind" })?,
            locale: parse_locale(&col::<String>(row, "locale")?)?,
        },
        version: col(row, "version")?,
        body: col(row, "body")?,
        is_active: col(row, "is_active")?,
        created_by: col(row, "created_by")?,
        change_reason: col(row, "change_reason")?,
        activated_by: col(row, "activated_by")?,
        activated_at: col(row, "activated_at")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn parse_locale(raw: &str) -> Result<Locale> {
    Locale::ALL
        .into_iter()
        .find(|l| l.as_str() == raw)
        .ok_or(Error::DecodeRow { column: "locale" })
}

#[cfg(test)]
mod tests;
