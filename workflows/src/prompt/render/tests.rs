//! Rendering every seed with full contexts, the learning block, strictness and the safety rules.

use super::*;
use crate::policy::Stage;
use crate::prompt::kind::ROLES;
use crate::prompt::{Completion, SafeText, seed};

fn seed_template(locale: Locale, role: Role, kind: Kind) -> Template {
    Template {
        body: seed(locale, role, kind).expect("seed").into(),
        source: Source::RepoSeed,
        locale,
    }
}

fn stages_of(role: Role) -> Vec<Option<Stage>> {
    let mut stages: Vec<_> = Stage::ALL
        .into_iter()
        .filter(|s| s.role() == role)
        .map(Some)
        .collect();
    stages.push(None);
    stages
}

/// Every seed in both locales, for every stage of its role and none, with and without a pull
/// request and learning mode: no undefined variable, no template syntax left in the output.
#[test]
fn every_seed_renders_in_both_locales_with_a_full_context() {
    let mut rendered = 0;
    for locale in Locale::ALL {
        for role in ROLES {
            for kind in Kind::ALL {
                let template = seed_template(locale, role, kind);
                for stage in stages_of(role) {
                    for (with_pr, learning) in [(true, false), (false, true)] {
                        let mut ctx = sample_context(role, kind, stage, locale);
                        if !with_pr {
                            ctx.pull_request = None;
                        }
                        ctx.learning_mode = learning;
                        let at = format!("{locale}/{role:?}-{kind} {stage:?} pr={with_pr}");
                        let prompt =
                            render(&template, &ctx).unwrap_or_else(|e| panic!("{at}: {e:?}"));
                        for leftover in ["{{", "}}", "{%", "%}", "{#"] {
                            assert!(!prompt.text.contains(leftover), "{at}: {leftover}");
                        }
                        assert!(prompt.text.contains("#42"), "{at}");
                        assert!(prompt.text.contains("run_status_report"), "{at}");
                        rendered += 1;
                    }
                }
            }
        }
    }
    assert!(rendered > 300, "{rendered}");
}

#[test]
fn the_learning_block_follows_the_flag_in_both_locales() {
    for (locale, heading) in [
        (Locale::En, "## Learning mode"),
        (Locale::Ru, "## Режим обучения"),
    ] {
        let template = seed_template(locale, Role::Dev, Kind::Work);
        let mut ctx = sample_context(Role::Dev, Kind::Work, Some(Stage::Dev), locale);
        let off = render(&template, &ctx).expect("render").text;
        ctx.learning_mode = true;
        let on = render(&template, &ctx).expect("render").text;
        assert!(!off.contains(heading), "{locale}");
        assert!(on.contains(heading), "{locale}");
        let block = &on[on.find(heading).expect("heading")..];
        let warns = block.contains("secret") || block.contains("секрет");
        assert!(
            warns,
            "{locale}: the learning block must warn about secrets"
        );
    }
}

#[test]
fn the_envelope_states_the_write_scope_and_the_completion_contract() {
    let cases = [
        (
            Role::Dev,
            Kind::Work,
            Some(Stage::Dev),
            "You may change any file",
        ),
        (
            Role::Pm,
            Kind::Work,
            Some(Stage::Prd),
            "You change only Markdown files",
        ),
        (
            Role::Km,
            Kind::Work,
            Some(Stage::SelfImprove),
            "prompt seeds under `prompts/`",
        ),
        (Role::Reviewer, Kind::Work, None, "You change no file"),
        (
            Role::Sre,
            Kind::Work,
            Some(Stage::AiRepair),
            "straight to `main`",
        ),
        (
            Role::Qa,
            Kind::Discussion,
            Some(Stage::Qa),
            "\"comment_url\"",
        ),
    ];
    for (role, kind, stage, expected) in cases {
        let ctx = sample_context(role, kind, stage, Locale::En);
        let text = render(&seed_template(Locale::En, role, kind), &ctx)
            .expect("render")
            .text;
        assert!(
            text.contains(expected),
            "{role:?}-{kind}: {expected}\n{text}"
        );
    }
    let ctx = sample_context(Role::Dev, Kind::Revise, Some(Stage::Dev), Locale::Ru);
    assert_eq!(ctx.completion, Completion::PullRequest);
    let text = render(&seed_template(Locale::Ru, Role::Dev, Kind::Revise), &ctx)
        .expect("render")
        .text;
    assert!(text.contains("Пул-реквест: #57"), "{text}");
}

#[test]
fn a_misspelt_variable_is_an_error_not_an_empty_string() {
    let ctx = sample_context(Role::Dev, Kind::Work, Some(Stage::Dev), Locale::En);
    for body in [
        "{{ issue.numbr }}",
        "{% if pull_requests %}x{% endif %}",
        "{{ env.HOME }}",
        "{% include \"/etc/passwd\" %}",
    ] {
        let template = Template {
            body: body.into(),
            source: Source::RepoSeed,
            locale: Locale::En,
        };
        let err = render(&template, &ctx).unwrap_err();
        assert!(matches!(err, Error::Render { .. }), "{body}: {err:?}");
        assert!(
            validate_body(Role::Dev, Kind::Work, body).is_err(),
            "{body}"
        );
    }
}

#[test]
fn context_values_are_data_never_template_code() {
    let mut ctx = sample_context(Role::Dev, Kind::Work, Some(Stage::Dev), Locale::En);
    ctx.issue.title = SafeText::parse("Price shows {{ 7 * 7 }} instead of 49").expect("safe");
    let template = Template {
        body: "Title: {{ issue.title }}".into(),
        source: Source::RepoSeed,
        locale: Locale::En,
    };
    let text = render(&template, &ctx).expect("render").text;
    assert!(
        text.contains("Title: Price shows {{ 7 * 7 }} instead of 49"),
        "{text}"
    );
}

#[test]
fn a_context_cannot_carry_a_token() {
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    assert!(SafeText::parse(token).is_err());
    let ctx = sample_context(Role::Dev, Kind::Work, Some(Stage::Dev), Locale::En);
    let json = serde_json::to_value(&ctx).expect("serialize");
    let mut title = json.clone();
    title["issue"]["title"] = serde_json::json!(format!("leak {token}"));
    assert!(serde_json::from_value::<PromptContext>(title).is_err());
    let mut tool = json.clone();
    tool["mcp_tools"][0]["description"] = serde_json::json!("Bearer a1B2c3D4e5F6g7H8i9J0k1L2");
    assert!(serde_json::from_value::<PromptContext>(tool).is_err());
    assert_eq!(
        serde_json::from_value::<PromptContext>(json).expect("round trip"),
        ctx
    );
}

#[test]
fn an_override_that_smuggles_a_secret_into_the_prompt_is_refused() {
    let ctx = sample_context(Role::Dev, Kind::Work, Some(Stage::Dev), Locale::En);
    // Concatenation hides the token from the body check; the output check still catches it.
    let body = "{{ \"ghp_\" ~ \"0123456789abcdefghijABCDEFGHIJ012345\" }}";
    let template = Template {
        body: body.into(),
        source: Source::RepoSeed,
        locale: Locale::En,
    };
    assert!(matches!(
        render(&template, &ctx),
        Err(Error::SecretInOutput {
            kind: "github token"
        })
    ));
}

#[test]
fn rendered_prompts_contain_no_environment_values() {
    let values: Vec<String> = std::env::vars()
        .map(|(_, v)| v)
        .filter(|v| v.len() >= 16)
        .collect();
    for locale in Locale::ALL {
        for role in ROLES {
            let ctx = sample_context(role, Kind::Work, None, locale);
            let text = render(&seed_template(locale, role, Kind::Work), &ctx)
                .expect("render")
                .text;
            for value in &values {
                assert!(
                    !text.contains(value.as_str()),
                    "{locale}/{role:?} contains an environment value"
                );
            }
        }
    }
}

#[test]
fn tidy_keeps_one_blank_line_and_one_final_newline() {
    assert_eq!(tidy("a  \n\n\n\nb\n\n"), "a\n\nb\n");
    assert_eq!(tidy("\n\na"), "a\n");
}
