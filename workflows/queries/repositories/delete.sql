-- Unbinds a repository with its sealed token, once repositories/get_live_work.sql found nothing
-- that needs it, in the same transaction.
delete from repositories
where id = $1
returning id, project_id, full_name, default_branch, token_key_id, token_set_at, created_at
