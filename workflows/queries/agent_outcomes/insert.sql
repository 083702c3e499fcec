-- Records an agent's outcome for its launch attempt, unless the run was launched again since
-- (a newer attempt has a token): the first report of an attempt wins, a repeat inserts nothing.
insert into agent_outcomes (agent_run_id, attempt, exit_code, final_message, pull_request)
select $1, $2, $3, $4, $5
where not exists (select 1 from run_tokens where agent_run_id = $1 and attempt > $2)
on conflict (agent_run_id, attempt) do nothing
returning agent_run_id, attempt, exit_code, final_message, pull_request, created_at
