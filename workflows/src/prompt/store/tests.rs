//! Conformance of the `prompt_templates` store against a real Postgres with the real migrations:
//! precedence and locale fallback here, versioning and validation in [`version`].

use sqlx::PgPool;
use uuid::Uuid;

use super::*;
use crate::prompt::lookup::Source;

mod version;

async fn pool() -> PgPool {
    crate::test_pool::fresh().await
}

async fn project(pool: &PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("insert into projects (id, slug, name) values ($1, $2, 'Shop')")
        .bind(id)
        .bind(format!("shop-{}", id.simple()))
        .execute(pool)
        .await
        .expect("insert project");
    id
}

fn ann() -> Login {
    Login::parse("ann").expect("valid login")
}

fn key(scope: Scope, locale: Locale) -> Key {
    Key {
        scope,
        role: Role::Dev,
        kind: Kind::Work,
        locale,
    }
}

/// Writes `body` as the next version of `key`, expecting `expected` to be active.
async fn write(pool: &PgPool, key: Key, expected: Option<i32>, body: &str) -> Result<Version> {
    let mut conn = pool.acquire().await.expect("acquire");
    let by = ann();
    let p = CreateVersionParams {
        key,
        body,
        expected_active: expected,
        created_by: &by,
        change_reason: "tighten the dev prompt",
        now: None,
    };
    create_version(&mut conn, &p).await
}

async fn rollback(pool: &PgPool, key: Key, version: i32, expected: Option<i32>) -> Result<Version> {
    let mut conn = pool.acquire().await.expect("acquire");
    let by = ann();
    let p = ActivateParams {
        key,
        version,
        expected_active: expected,
        activated_by: &by,
        now: None,
    };
    activate(&mut conn, &p).await
}

/// The effective `dev-work` template as `body | source | locale`.
async fn effective_of(pool: &PgPool, project_id: Option<Uuid>, locale: Locale) -> String {
    let p = EffectiveParams {
        project_id,
        role: Role::Dev,
        kind: Kind::Work,
        locale,
    };
    let t = effective(pool, &p).await.expect("effective");
    let body = match t.source {
        Source::RepoSeed => "seed",
        _ => t.body.as_ref(),
    };
    format!("{body} | {} | {}", t.source, t.locale)
}

#[tokio::test]
async fn project_override_beats_system_override_beats_the_repo_seed() {
    let pool = pool().await;
    let (shop, other) = (project(&pool).await, project(&pool).await);
    let en = |scope| key(scope, Locale::En);
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::En).await,
        "seed | repo_seed | en"
    );

    write(&pool, en(Scope::System), None, "system body")
        .await
        .expect("v1");
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::En).await,
        "system body | system_override@v1 | en"
    );
    write(&pool, en(Scope::Project(shop)), None, "shop body")
        .await
        .expect("v1");
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::En).await,
        "shop body | project_override@v1 | en"
    );
    // Another project, and a run without a project, still see the system override.
    assert_eq!(
        effective_of(&pool, Some(other), Locale::En).await,
        "system body | system_override@v1 | en"
    );
    assert_eq!(
        effective_of(&pool, None, Locale::En).await,
        "system body | system_override@v1 | en"
    );
    // Deactivating the project's override falls back to the system one.
    let mut conn = pool.acquire().await.expect("acquire");
    deactivate(&mut conn, &en(Scope::Project(shop)), 1, &ann())
        .await
        .expect("deactivate");
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::En).await,
        "system body | system_override@v1 | en"
    );
}

#[tokio::test]
async fn the_locale_is_chosen_before_the_source() {
    let pool = pool().await;
    let shop = project(&pool).await;
    write(
        &pool,
        key(Scope::Project(shop), Locale::En),
        None,
        "shop en",
    )
    .await
    .expect("en");
    // A ru run: the ru seed exists, so it wins over the project's en override.
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::Ru).await,
        "seed | repo_seed | ru"
    );
    write(&pool, key(Scope::System, Locale::Ru), None, "system ru")
        .await
        .expect("ru");
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::Ru).await,
        "system ru | system_override@v1 | ru"
    );
    assert_eq!(
        effective_of(&pool, Some(shop), Locale::En).await,
        "shop en | project_override@v1 | en"
    );
}
