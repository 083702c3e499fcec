-- Whether the run was launched again after this attempt (a newer attempt has a token).
select exists (select 1 from run_tokens where agent_run_id = $1 and attempt > $2)
