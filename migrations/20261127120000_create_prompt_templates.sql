-- Versioned overrides of the prompt seeds embedded in the binary (`prompts/<locale>/<role>-<kind>.md`).
-- A run's role body is the active project override, else the active system override, else the repo seed,
-- looked up in the effective locale and then in en. Only role bodies are overridable: the envelope with
-- the safety rules, the write scope and the completion contract always comes from the binary.
-- Rows are never deleted or edited in place: a change is a new version, and a rollback activates an
-- older one, so the history of what agents were told stays complete.
create table prompt_templates (
    id bigint generated always as identity primary key,
    -- the project whose runs use this override; null = a system override for every project.
    -- Overrides of a deleted project are meaningless, so they go with it.
    project_id uuid references projects (id) on delete cascade,
    -- the agent role (policy::Role wire name); the roster is fixed, so a typo is refused here too
    role text not null check (role in ('pm', 'sa', 'em', 'dev', 'reviewer', 'qa', 'sre', 'km')),
    -- which template of the role: first pass, revise pass, role review, discussion
    kind text not null check (kind in ('work', 'revise', 'review', 'discussion')),
    -- the language of the body; only locales that have repo seeds can be overridden
    locale text not null check (locale in ('en', 'ru')),
    -- the minijinja Markdown body, test-rendered in strict mode before it is stored
    body text not null check (length(body) between 1 and 65536),
    -- 1, 2, 3 … per (project_id, role, kind, locale); never reused, so a run's recorded version is unambiguous
    version int not null check (version > 0),
    -- the version runs use now; at most one per key (index below), none = fall back to the next source
    is_active boolean not null default false,
    -- GitHub login of the staff user who wrote this version, for the audit trail
    created_by text not null check (created_by <> ''),
    -- why the version was written; required so the history explains itself
    change_reason text not null check (btrim(change_reason) <> ''),
    -- who made this version active last and when: creation, or a rollback to it
    activated_by text,
    activated_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- one row per version of a key; nulls not distinct makes system rows (project_id null) unique too
create unique index prompt_templates_key_version
    on prompt_templates (project_id, role, kind, locale, version) nulls not distinct;

-- at most one active version per key: the backstop behind the advisory lock writers take, and the
-- index of the run-time lookup (active rows of one project plus the system rows)
create unique index prompt_templates_one_active
    on prompt_templates (project_id, role, kind, locale) nulls not distinct where is_active;
