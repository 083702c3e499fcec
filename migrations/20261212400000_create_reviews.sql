-- The reviewer's pre-review of a stage run's result (the mandatory gate before the Owner's review):
-- one row per reviewer run, linking it to the stage run it reviews, the pull request head it saw,
-- its verdict and summary, and the revise run a `changes_requested` verdict started.
create table reviews (
    -- The reviewer run (an agent_runs row of kind `reviewer`).
    reviewer_run_id uuid primary key references agent_runs (id) on delete cascade,
    -- The stage run under review; null when a person asked for the review with `need:reviewer`.
    stage_run_id uuid references agent_runs (id) on delete cascade,
    -- The reviewed pull request, when there is one (a document change on the Issue has none).
    pull_request_number bigint,
    -- What was reviewed: the pull request head SHA, or `branch:<name>` without a pull request;
    -- with stage_run_id it makes the gate idempotent per (stage run, head).
    head text not null,
    -- 1 for the first review of a lineage, +1 for each review of a revise the gate started:
    -- bounds the review ↔ revise loop.
    round int not null check (round >= 1),
    -- `approve`, `changes_requested`, `comment`, or `none` (no readable verdict); null until the
    -- reviewer finished.
    verdict text check (verdict in ('approve', 'changes_requested', 'comment', 'none')),
    -- The reviewer's summary (its final message's `summary`).
    summary text,
    -- How many blocking findings the reviewer reported.
    blocking_findings int,
    -- The revise run a `changes_requested` verdict started (the next round's stage run).
    revise_run_id uuid references agent_runs (id) on delete set null,
    created_at timestamptz not null default now(),
    decided_at timestamptz
);

-- One review per stage run and head, however often the gate's step is retried.
create unique index reviews_stage_run_head on reviews (stage_run_id, head) where stage_run_id is not null;
-- The round of a revise's review is found from the review that started the revise.
create index reviews_revise_run on reviews (revise_run_id) where revise_run_id is not null;
