-- Hands a leased task back as ready at $3 (retry backoff, sleep, shutdown), fenced by epoch.
update workflow_tasks
set state = 'ready', epoch = null, worker = null, lease_expires_at = null, run_at = $3,
    failed_seq = coalesce($4, failed_seq), failed_attempts = case when $4 is null then failed_attempts else $5 end,
    updated_at = now()
where run_id = $1 and epoch = $2 and state = 'leased'
