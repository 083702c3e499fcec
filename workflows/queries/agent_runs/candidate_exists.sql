-- Whether an Issue has a candidate lineage: a dev run (first or revise) that succeeded.
select exists (
    select 1 from agent_runs
    where repository_id = $1 and issue_number = $2 and stage = 'dev' and status = 'succeeded'
)
