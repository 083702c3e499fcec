-- The short status line the agent reported (run_status_report), shown in the status comment.
update agent_runs set agent_status = $2, updated_at = now() where id = $1
