//! `codex-k8s admin`: the platform's first run without OAuth. Every subcommand calls the same
//! service layer as the staff API (`workflows::directory`), never SQL of its own; tokens are read
//! from the environment or stdin, never from the command line, and never printed. The service
//! audits every write with the actor `cli` (there is no platform user behind the command).

use std::io::BufRead;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use workflows::{
    delivery::SUBSCRIBED_EVENTS,
    directory::{self, Actor, Email, Login, Platform, ProjectSettings, RepoName, Slug},
    github::{GitHubClient, Token, WebhookSpec},
    vault::Plain,
};

use crate::{
    config::{AdminArgs, AdminCommand, AdminMember, AdminProject, AdminRepo, AdminUser, Config},
    database, platform,
};

/// Runs one admin subcommand and prints what it did.
pub async fn run(
    config: &Config,
    args: AdminArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let pool = database::connect(config).await?;
    let work = async {
        match args.command {
            AdminCommand::Bootstrap {
                email,
                github_login,
            } => {
                let login = github_login.as_deref().map(Login::parse).transpose()?;
                let owner =
                    directory::bootstrap(&pool, &Email::parse(&email)?, login.as_ref()).await?;
                println!("owner {} ({})", owner.email, owner.id);
            }
            AdminCommand::User(AdminUser::Add {
                email,
                github_login,
                admin,
            }) => {
                let login = github_login.as_deref().map(Login::parse).transpose()?;
                let platform = if admin {
                    Platform::Admin
                } else {
                    Platform::None
                };
                let user = directory::add_user(
                    &pool,
                    &Email::parse(&email)?,
                    login.as_ref(),
                    platform,
                    Actor::Cli,
                )
                .await?;
                println!("user {} ({})", user.email, user.id);
            }
            AdminCommand::Project(AdminProject::Add {
                slug,
                name,
                locale,
                learning_mode,
                max_active_runs,
            }) => {
                let slug = Slug::parse(&slug)?;
                let settings = ProjectSettings {
                    name: name.unwrap_or_else(|| slug.as_str().to_owned()),
                    locale,
                    learning_mode_default: learning_mode,
                    max_active_runs,
                };
                let project = directory::add_project(&pool, &slug, &settings, Actor::Cli).await?;
                println!("project {} ({})", project.slug, project.id);
            }
            AdminCommand::Repo(AdminRepo::Bind {
                project,
                repo,
                default_branch,
                token_stdin,
                token,
            }) => {
                let token = if token_stdin {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("read the token from stdin")?;
                    Some(Plain::new(line.trim()))
                } else {
                    token.map(|t| Plain::new(t.expose()))
                };
                let vault = platform::vault(config)?;
                let project = directory::project(&pool, &project).await?;
                let bound = directory::bind_repository(
                    &pool,
                    vault.as_ref(),
                    &project,
                    &RepoName::parse(&repo)?,
                    &default_branch,
                    token.as_ref(),
                    Actor::Cli,
                )
                .await?;
                let sealed = match &bound.token_key_id {
                    Some(kid) => format!("token sealed with key {kid}"),
                    None => "no token".to_owned(),
                };
                println!(
                    "repository {} bound to {} ({sealed})",
                    bound.full_name, project.slug
                );
            }
            AdminCommand::Repo(AdminRepo::Webhook { repo, url }) => {
                let secret = config.github_webhook_secret.as_ref().context(
                    "CK8S_GITHUB_WEBHOOK_SECRET is required: GitHub signs each delivery with it",
                )?;
                let github = GitHubClient::new(platform::github_config(config)?)
                    .context("GitHub client configuration")?;
                let url = url.unwrap_or_else(|| {
                    format!(
                        "{}{}",
                        config.platform_api_url.trim_end_matches('/'),
                        crate::api::INGRESS_PATH
                    )
                });
                let secret = Token::new(secret.expose());
                let spec = WebhookSpec {
                    url: &url,
                    secret: &secret,
                    events: &SUBSCRIBED_EVENTS,
                };
                let name = RepoName::parse(&repo)?;
                let setup =
                    directory::set_webhook(&pool, &github, &name, &spec, Actor::Cli).await?;
                println!(
                    "webhook {} of {} {}: {url} ({})",
                    setup.id,
                    name.as_str(),
                    if setup.created { "created" } else { "repaired" },
                    SUBSCRIBED_EVENTS.join(", ")
                );
            }
            AdminCommand::Repo(AdminRepo::Reencrypt) => {
                let vault =
                    platform::vault(config)?.context("CK8S_TOKEN_KEYS is required to reencrypt")?;
                let n = directory::reencrypt_tokens(&pool, &vault, Actor::Cli).await?;
                println!(
                    "resealed {n} repository token(s) with key {}",
                    vault.active_key_id()
                );
            }
            AdminCommand::Member(AdminMember::Add {
                project,
                user,
                role,
            }) => {
                let project = directory::project(&pool, &project).await?;
                let user = directory::find_user(&pool, &user).await?;
                let role = directory::parse_role(&role)?;
                directory::set_member(&pool, &project, user.id, role, None, Actor::Cli).await?;
                println!(
                    "{} is {} of {}",
                    user.email,
                    directory::role_name(role),
                    project.slug
                );
            }
            AdminCommand::Token { user } => {
                let jwt = platform::jwt_keys(config, false)?;
                let user = directory::find_user(&pool, &user).await?;
                eprintln!(
                    "token for {} (valid {} s):",
                    user.email,
                    jwt.ttl().as_secs()
                );
                println!("{}", jwt.issue(user.id));
            }
        }
        anyhow::Ok(())
    };
    tokio::select! {
        r = work => r,
        () = shutdown.cancelled() => anyhow::bail!("interrupted"),
    }
}
