-- $1 run, $2 kind, $3 target, $4 metadata
insert into links (agent_run_id, kind, target, metadata)
values ($1, $2, $3, $4)
on conflict (agent_run_id, kind, target) do nothing
