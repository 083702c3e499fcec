-- Deletes a project once projects/get_live_work.sql found nothing live, in the same transaction.
-- Members, repositories (with their sealed tokens), prompt overrides and the finished stage runs with
-- their tokens, sessions, usage and approvals go with it (foreign keys cascade). Their engine runs and
-- flow events stay until the engine's retention prunes them.
delete from projects
where id = $1
returning id, slug, name, locale, learning_mode_default, max_active_runs, created_at
