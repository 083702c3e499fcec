insert into agent_runs (
    id, project_id, repository_id, delivery_id, kind, trigger, stage, role, execution_mode, access_profile,
    target_env, model, reasoning, model_from_label, reasoning_from_label, issue_number, pull_request_number,
    thread_kind, thread_number, branch, locale, learning_mode
) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
on conflict (id) do nothing
