-- Push grants (ADR 0016): the one short-lived push credential an agent runner may fetch per
-- launch, after its agent (codex) exited. Before it starts codex, the runner registers the sha256
-- of a key it keeps only in memory; the credential goes, once, to the caller that shows that key.
create table push_grants (
    -- the launch's run token (its sha256, as run_tokens stores it): one grant per launch
    token_sha256 text primary key references run_tokens (token_sha256) on delete cascade,
    -- the stage run, for retention and inspection
    agent_run_id uuid not null references agent_runs (id) on delete cascade,
    -- hex sha256 of the runner's key; the key itself is never stored
    key_sha256 text not null,
    registered_at timestamptz not null default now(),
    -- when the credential was handed out (at most once)
    issued_at timestamptz,
    -- the end of the credential's validity, as told to the runner
    expires_at timestamptz
);
-- grants of a run, for retention and the staff view
create index push_grants_run on push_grants (agent_run_id);
