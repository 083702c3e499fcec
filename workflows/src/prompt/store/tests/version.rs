//! Versioning, rollback, the lost race and body validation.

use super::*;
use crate::prompt::kind::ROLES;
use crate::prompt::sample::sample_context;
use crate::prompt::{render, seed};

#[tokio::test]
async fn versions_count_up_and_rollback_reactivates_an_old_one() {
    let pool = pool().await;
    let k = key(Scope::System, Locale::En);
    let v1 = write(&pool, k, None, "first").await.expect("v1");
    let v2 = write(&pool, k, Some(1), "second").await.expect("v2");
    assert_eq!((v1.version, v2.version, v2.is_active), (1, 2, true));
    assert_eq!(v2.activated_by.as_deref(), Some("ann"));

    let back = rollback(&pool, k, 1, Some(2)).await.expect("rollback");
    assert!(back.is_active);
    assert_eq!(
        effective_of(&pool, None, Locale::En).await,
        "first | system_override@v1 | en"
    );

    // Numbering continues after a rollback; history keeps every version, newest first.
    let v3 = write(&pool, k, Some(1), "third").await.expect("v3");
    assert_eq!(v3.version, 3);
    let history = list_versions(&pool, &k).await.expect("list");
    let summary: Vec<_> = history.iter().map(|v| (v.version, v.is_active)).collect();
    assert_eq!(summary, vec![(3, true), (2, false), (1, false)]);
    assert_eq!(history[2].change_reason, "tighten the dev prompt");
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let pool = pool().await;
    let k = key(Scope::System, Locale::Ru);
    let err = write(&pool, k, Some(1), "x").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::VersionConflict {
                expected: Some(1),
                actual: None
            }
        ),
        "{err:?}"
    );

    write(&pool, k, None, "first").await.expect("v1");
    write(&pool, k, Some(1), "second").await.expect("v2");
    let err = write(&pool, k, Some(1), "lost update").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::VersionConflict {
                expected: Some(1),
                actual: Some(2)
            }
        ),
        "{err:?}"
    );
    let err = rollback(&pool, k, 1, None).await.unwrap_err();
    assert_eq!(err.code(), "template_version_conflict");
    let err = rollback(&pool, k, 9, Some(2)).await.unwrap_err();
    assert!(
        matches!(err, Error::VersionNotFound { version: 9 }),
        "{err:?}"
    );

    // The refused writes rolled back their deactivation: v2 is still the one active version.
    let active: Vec<_> = list_versions(&pool, &k)
        .await
        .expect("list")
        .into_iter()
        .filter(|v| v.is_active)
        .map(|v| v.version)
        .collect();
    assert_eq!(active, vec![2]);
}

#[tokio::test]
async fn of_two_concurrent_first_versions_exactly_one_wins() {
    let pool = pool().await;
    let k = key(Scope::System, Locale::En);
    let (a, b) = tokio::join!(write(&pool, k, None, "a"), write(&pool, k, None, "b"));
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(Error::VersionConflict { .. })))
        .count();
    assert_eq!((a.is_ok() as u8 + b.is_ok() as u8, conflicts), (1, 1));
}

#[tokio::test]
async fn every_seed_is_a_valid_override_for_its_role_kind_and_locale() {
    let pool = pool().await;
    for locale in Locale::ALL {
        for role in ROLES {
            for kind in Kind::ALL {
                let k = Key {
                    scope: Scope::System,
                    role,
                    kind,
                    locale,
                };
                let body = seed(locale, role, kind).expect("seed");
                write(&pool, k, None, body).await.expect("stored");
            }
        }
    }
    let p = EffectiveParams {
        project_id: None,
        role: Role::Sre,
        kind: Kind::Review,
        locale: Locale::Ru,
    };
    let t = effective(&pool, &p).await.expect("effective");
    assert_eq!(
        (t.source, t.locale),
        (Source::SystemOverride { version: 1 }, Locale::Ru)
    );
}

#[tokio::test]
async fn bad_bodies_are_refused_before_they_reach_the_table() {
    let pool = pool().await;
    let k = key(Scope::System, Locale::En);
    let typo = write(&pool, k, None, "Fix issue #{{ issue.numbr }}")
        .await
        .unwrap_err();
    assert!(matches!(typo, Error::Render { .. }), "{typo:?}");
    let token = "Use ghp_0123456789abcdefghijABCDEFGHIJ012345 to push";
    assert!(matches!(
        write(&pool, k, None, token).await,
        Err(Error::SecretLike { .. })
    ));
    assert!(matches!(
        write(&pool, k, None, "  ").await,
        Err(Error::EmptyBody)
    ));
    assert!(list_versions(&pool, &k).await.expect("list").is_empty());
}

#[tokio::test]
async fn a_rendered_prompt_records_the_override_it_used() {
    let pool = pool().await;
    let shop = project(&pool).await;
    let k = key(Scope::Project(shop), Locale::En);
    write(&pool, k, None, "Fix #{{ issue.number }} on {{ branch }}.")
        .await
        .expect("v1");
    write(
        &pool,
        k,
        Some(1),
        "Fix #{{ issue.number }} on `{{ branch }}`.",
    )
    .await
    .expect("v2");
    let p = EffectiveParams {
        project_id: Some(shop),
        role: Role::Dev,
        kind: Kind::Work,
        locale: Locale::En,
    };
    let template = effective(&pool, &p).await.expect("effective");
    let ctx = sample_context(
        Role::Dev,
        Kind::Work,
        Some(crate::policy::Stage::Dev),
        Locale::En,
    );
    let prompt = render(&template, &ctx).expect("render");
    assert_eq!(prompt.source, Source::ProjectOverride { version: 2 });
    assert!(
        prompt.text.contains("Fix #42 on `codex/issue-42`."),
        "{}",
        prompt.text
    );
}
