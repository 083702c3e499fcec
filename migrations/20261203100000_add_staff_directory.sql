-- The staff API's directory: default ids (rows are created through `codex-k8s admin` and the API now,
-- not only by fixtures), encrypted repository tokens, per-user learning mode, OAuth logins in flight,
-- and the indexes of the staff listings.

-- Ids default to random uuids, so a row can be created without the caller inventing one.
alter table users alter column id set default gen_random_uuid();
alter table projects alter column id set default gen_random_uuid();
alter table repositories alter column id set default gen_random_uuid();

-- GitHub's numeric id of the user, bound at the first OAuth login (logins can be renamed, ids cannot).
alter table users add column github_user_id bigint unique;
-- the user's own learning-mode toggle: a member override of the project wins over it, and when both are
-- null the project default, then the platform default, decide
alter table users add column learning_mode_override boolean;
-- last successful staff login, for the audit trail
alter table users add column last_login_at timestamptz;
-- emails are identities compared without case; keep one spelling (the service lowercases too)
alter table users add constraint users_email_lowercase check (email = lower(email));

-- The repository's management token, AES-256-GCM sealed by `workflows::vault` (nonce || ciphertext),
-- bound to the repository id as associated data. Write-only through the API: never read back.
alter table repositories add column token_sealed bytea;
-- the vault key id that sealed it, so keys rotate (`codex-k8s admin repo reencrypt`)
alter table repositories add column token_key_id text;
-- when the token was last set (shown instead of the token)
alter table repositories add column token_set_at timestamptz;
alter table repositories add constraint repositories_token_pair
    check ((token_sealed is null) = (token_key_id is null));

-- GitHub OAuth logins in flight: the state (stored as sha256) and the PKCE verifier it pairs with.
-- A row is used once; expired rows are deleted by the next login start.
create table oauth_logins (
    id bigint generated always as identity primary key,
    state_sha256 text not null unique,
    -- the PKCE code verifier sent with the code exchange; never leaves the server
    code_verifier text not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index oauth_logins_expires on oauth_logins (expires_at);

-- project memberships of a user (the staff API's visibility scope; a small table)
create index project_members_user on project_members (user_id);
