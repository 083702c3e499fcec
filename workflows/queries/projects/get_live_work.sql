-- What keeps a project from being deleted, counted. Run after projects/lock.sql and
-- agent_runs/lock_for_project.sql in one transaction: no stage run can be added (the foreign key's
-- key-share lock waits for the project lock), re-opened or finish meanwhile, so the counts hold
-- until the delete in the same transaction.
-- live_runs: stage runs that have not ended (the engine's status, or the mirrored one once the
--   engine run is pruned; a failed run whose cleanup is still running is pending, i.e. live).
-- pending_releases: finished stage runs whose runtime is kept for CK8S_RUNTIME_TTL_SECS and not yet
--   released by its delayed `runtime_release` run (which needs the stage run's row).
-- routing_deliveries: accepted GitHub deliveries for one of its repositories whose routing run has
--   not ended; routing may still start a stage run for them. Reads the few live runs by status.
select
    (select count(*)
     from agent_runs a
     left join workflow_runs w on w.id = a.id
     where a.project_id = $1
       and coalesce(w.status, a.status) not in ('succeeded', 'failed', 'cancelled', 'timed_out')
    ) as live_runs,
    (select count(*)
     from agent_runs a
     join workflow_runs w on w.idempotency_key = 'release:' || a.id::text
     where a.project_id = $1 and w.status in ('pending', 'waiting')
    ) as pending_releases,
    (select count(*)
     from workflow_runs w
     join webhook_deliveries d on d.delivery_id = w.input ->> 'delivery_id'
     join repositories r on r.full_name = lower(d.repository)
     where w.status in ('pending', 'waiting') and w.kind = 'github_delivery' and r.project_id = $1
    ) as routing_deliveries
