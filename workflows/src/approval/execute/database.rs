//! `database_lifecycle` on the configured Postgres: a database `<environment>_<name>` owned by a
//! login role `<environment>_<name>_owner`, whose credentials live in the Secret
//! `db-<environment>-<name>` of the environment's namespace. Create writes the Secret first and
//! takes the password from it on a repeat, so a crash between the steps never leaves a role whose
//! password nobody holds; delete drops the database (closing its sessions), the role and the
//! Secret. Statements are never logged: the role's password is part of one.

use std::{collections::BTreeMap, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::api::ObjectMeta;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection, PgConnection, postgres::PgConnectOptions};

use super::{ExecuteError, kube_secret::Secrets};
use crate::{
    approval::control::DatabaseAction,
    kubernetes::{
        guardrails::Environments,
        labels::{COMPONENT, MANAGED_BY, MANAGER},
    },
};

/// Annotation naming the database a credentials Secret belongs to.
const DATABASE_ANNOTATION: &str = "codex-k8s.io/database";

/// Why the database settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseAdminError {
    /// The admin URL does not parse.
    #[error("CK8S_DATABASE_ADMIN_URL is not a Postgres URL: {0}")]
    Url(String),
}

/// The database server the executor manages, and where each environment's credentials go.
pub struct DatabaseAdmin {
    connect: PgConnectOptions,
    host: String,
    port: u16,
    namespaces: BTreeMap<String, String>,
}

impl std::fmt::Debug for DatabaseAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseAdmin")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("namespaces", &self.namespaces)
            .finish_non_exhaustive()
    }
}

/// A stored `database_lifecycle` request.
#[derive(Debug, Deserialize)]
pub(super) struct DatabaseRequest {
    environment: String,
    database: String,
    action: DatabaseAction,
}

/// The names one (environment, database) maps to.
struct Names {
    database: String,
    role: String,
    secret: String,
}

fn names(environment: &str, database: &str) -> Result<Names, ExecuteError> {
    let env_ok = environment.starts_with(|c: char| c.is_ascii_lowercase())
        && environment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !env_ok {
        return Err(ExecuteError::Refused(format!(
            "environment {environment:?} cannot name a database ([a-z][a-z0-9_]*)"
        )));
    }
    let full = format!("{environment}_{database}");
    let role = format!("{full}_owner");
    if role.len() > 63 {
        return Err(ExecuteError::Refused(format!(
            "role {role:?} would be longer than Postgres' 63 bytes: choose a shorter database name"
        )));
    }
    Ok(Names {
        secret: format!("db-{environment}-{database}").replace('_', "-"),
        database: full,
        role,
    })
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The server's refusal (with its SQLSTATE) is final; a lost connection or timeout is not.
fn sql_failed(what: &str, e: sqlx::Error) -> ExecuteError {
    match &e {
        sqlx::Error::Database(d) => ExecuteError::Refused(format!(
            "{what}: {} (SQLSTATE {})",
            d.message(),
            d.code().unwrap_or_default()
        )),
        _ => ExecuteError::Transient(format!("{what}: {}", crate::error::error_chain(&e))),
    }
}

impl DatabaseAdmin {
    /// The server at `url` (an admin role with CREATEDB and CREATEROLE), writing each
    /// environment's credentials to the namespace `namespaces` names for it.
    pub fn new(
        url: &str,
        namespaces: BTreeMap<String, String>,
    ) -> Result<Self, DatabaseAdminError> {
        let connect: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| DatabaseAdminError::Url(e.to_string()))?;
        let connect = connect.disable_statement_logging();
        Ok(Self {
            host: connect.get_host().to_owned(),
            port: connect.get_port(),
            connect,
            namespaces,
        })
    }

    async fn connect(&self, timeout: Duration) -> Result<PgConnection, ExecuteError> {
        match tokio::time::timeout(timeout, PgConnection::connect_with(&self.connect)).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(sql_failed("connect to the database server", e)),
            Err(_) => Err(ExecuteError::Transient(format!(
                "connect to the database server: no answer within {timeout:?}"
            ))),
        }
    }

    async fn found(
        c: &mut PgConnection,
        query: &'static str,
        name: &str,
    ) -> Result<bool, ExecuteError> {
        sqlx::query_scalar(query)
            .bind(name)
            .fetch_one(c)
            .await
            .map_err(|e| sql_failed("read the catalog", e))
    }

    /// Runs a utility statement (DDL takes no bind parameters). Safe to assert: every name in it
    /// went through [`ident`] and every value through [`literal`].
    async fn exec(c: &mut PgConnection, what: &str, sql: &str) -> Result<(), ExecuteError> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(c)
            .await
            .map(drop)
            .map_err(|e| sql_failed(what, e))
    }

    /// Whether `database` of `environment` exists on the server.
    pub(super) async fn exists(
        &self,
        environment: &str,
        database: &str,
        timeout: Duration,
    ) -> Result<bool, ExecuteError> {
        let n = names(environment, database)?;
        let mut c = self.connect(timeout).await?;
        Self::found(&mut c, DATABASE_EXISTS, &n.database).await
    }

    /// Creates or deletes the database of `r`.
    pub(super) async fn run(
        &self,
        kube: &kube::Client,
        envs: &Environments,
        timeout: Duration,
        r: &DatabaseRequest,
    ) -> Result<Value, ExecuteError> {
        let n = names(&r.environment, &r.database)?;
        let namespace = self.namespaces.get(&r.environment).ok_or_else(|| {
            ExecuteError::Refused(format!(
                "no namespace is configured for the credentials of environment {:?} \
                 (CK8S_DATABASE_SECRET_NAMESPACES)",
                r.environment
            ))
        })?;
        let secrets = Secrets::new(kube, namespace, envs, timeout);
        let secret_ref = format!("{namespace}/{}", n.secret);
        match r.action {
            DatabaseAction::Create => {
                let mut c = self.connect(timeout).await?;
                let existing = Self::ours(&mut c, &n).await?;
                let password = self.credentials(&secrets, &n).await?;
                let role_created = Self::create_role(&mut c, &n, &password).await?;
                let database_created = !existing;
                if database_created {
                    let create = format!(
                        "CREATE DATABASE {} OWNER {}",
                        ident(&n.database),
                        ident(&n.role)
                    );
                    Self::exec(&mut c, "create the database", &create).await?;
                }
                let public = format!(
                    "REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC",
                    ident(&n.database)
                );
                Self::exec(&mut c, "close the database to other roles", &public).await?;
                Ok(json!({
                    "action": "create", "database": n.database, "role": n.role,
                    "secret": secret_ref, "database_created": database_created,
                    "role_created": role_created,
                }))
            }
            DatabaseAction::Delete => {
                let mut c = self.connect(timeout).await?;
                let database_dropped = Self::ours(&mut c, &n).await?;
                Self::exec(
                    &mut c,
                    "drop the database",
                    &format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        ident(&n.database)
                    ),
                )
                .await?;
                let role_dropped = Self::found(&mut c, ROLE_EXISTS, &n.role).await?;
                let drop_role = format!("DROP ROLE IF EXISTS {}", ident(&n.role));
                Self::exec(&mut c, "drop the owner role", &drop_role).await?;
                let secret_deleted = match secrets.get(&n.secret).await? {
                    Some(s) if is_ours(&s) => secrets.delete(&s).await?,
                    _ => false,
                };
                Ok(json!({
                    "action": "delete", "database": n.database, "role": n.role,
                    "secret": secret_ref, "database_dropped": database_dropped,
                    "role_dropped": role_dropped, "secret_deleted": secret_deleted,
                }))
            }
            DatabaseAction::Describe => Err(ExecuteError::Refused(
                "describe is answered by the tool itself, not executed".into(),
            )),
        }
    }

    /// The password of the owner role: the one in the credentials Secret, or a new one written
    /// there first. A Secret of that name the platform did not create is refused, untouched.
    async fn credentials(&self, secrets: &Secrets<'_>, n: &Names) -> Result<String, ExecuteError> {
        for _ in 0..2 {
            if let Some(existing) = secrets.get(&n.secret).await? {
                if !is_ours(&existing) {
                    return Err(ExecuteError::Refused(format!(
                        "Secret {} exists and was not created by the platform: not overwritten",
                        n.secret
                    )));
                }
                let password = existing
                    .data
                    .and_then(|mut d| d.remove("password"))
                    .and_then(|v| String::from_utf8(v.0).ok())
                    .filter(|p| !p.is_empty());
                return password.ok_or_else(|| {
                    ExecuteError::Refused(format!("Secret {} has no password", n.secret))
                });
            }
            let password = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            if secrets.create(&self.secret(n, secrets, &password)).await? {
                return Ok(password);
            }
            // Created by a concurrent attempt in between: read that one.
        }
        Err(ExecuteError::Transient(format!(
            "Secret {} changed while it was written",
            n.secret
        )))
    }

    fn secret(&self, n: &Names, secrets: &Secrets<'_>, password: &str) -> Secret {
        let url = format!(
            "postgres://{}:{password}@{}:{}/{}",
            n.role, self.host, self.port, n.database
        );
        let data = [
            ("host", self.host.clone()),
            ("port", self.port.to_string()),
            ("database", n.database.clone()),
            ("username", n.role.clone()),
            ("password", password.to_owned()),
            ("url", url),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), ByteString(v.into_bytes())))
        .collect();
        Secret {
            metadata: ObjectMeta {
                name: Some(n.secret.clone()),
                namespace: Some(secrets.namespace().to_owned()),
                labels: Some(BTreeMap::from([
                    (MANAGED_BY.to_owned(), MANAGER.to_owned()),
                    (COMPONENT.to_owned(), "database-credentials".to_owned()),
                ])),
                annotations: Some(BTreeMap::from([(
                    DATABASE_ANNOTATION.to_owned(),
                    n.database.clone(),
                )])),
                ..ObjectMeta::default()
            },
            data: Some(data),
            type_: Some("Opaque".into()),
            ..Secret::default()
        }
    }

    /// Whether the database exists, refusing one the platform's role does not own: the
    /// executor never takes over or drops a database it did not create.
    async fn ours(c: &mut PgConnection, n: &Names) -> Result<bool, ExecuteError> {
        let owner: Option<String> = sqlx::query_scalar(DATABASE_OWNER)
            .bind(&n.database)
            .fetch_optional(&mut *c)
            .await
            .map_err(|e| sql_failed("read the catalog", e))?;
        match owner {
            None => Ok(false),
            Some(o) if o == n.role => Ok(true),
            Some(o) => Err(ExecuteError::Refused(format!(
                "database {} exists and is owned by {o}, not by the platform's {}: left alone",
                n.database, n.role
            ))),
        }
    }

    /// The owner role with its password set to `password`, created when missing (then true),
    /// and the admin made a member (a non-superuser admin may hand a database only to a role it
    /// belongs to).
    async fn create_role(
        c: &mut PgConnection,
        n: &Names,
        password: &str,
    ) -> Result<bool, ExecuteError> {
        let role = ident(&n.role);
        let created = !Self::found(c, ROLE_EXISTS, &n.role).await?;
        let password = literal(password);
        let set = if created {
            format!(
                "CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {password}"
            )
        } else {
            // Only the password: a non-superuser admin may not restate the other attributes.
            format!("ALTER ROLE {role} WITH LOGIN PASSWORD {password}")
        };
        Self::exec(c, "create the owner role", &set).await?;
        Self::exec(
            c,
            "join the owner role",
            &format!("GRANT {role} TO CURRENT_USER"),
        )
        .await?;
        Ok(created)
    }
}

fn is_ours(secret: &Secret) -> bool {
    secret
        .metadata
        .labels
        .as_ref()
        .is_some_and(crate::kubernetes::guardrails::is_managed)
}

const DATABASE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)";
const DATABASE_OWNER: &str =
    "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1";
const ROLE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)";

#[cfg(test)]
mod tests {
    use super::{ident, literal, names};

    #[test]
    fn names_are_derived_bounded_and_quoted() {
        let n = names("staging", "orders").unwrap();
        assert_eq!(
            (n.database.as_str(), n.role.as_str(), n.secret.as_str()),
            (
                "staging_orders",
                "staging_orders_owner",
                "db-staging-orders"
            )
        );
        assert!(names("Staging", "orders").is_err());
        assert!(names("dev", &"a".repeat(60)).is_err());
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
