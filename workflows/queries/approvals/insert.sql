-- Inserts a request unless one with the same signature is open (requested or approved);
-- returns the id only when inserted.
insert into approvals (id, agent_run_id, project_id, kind, tool, request, signature, target_run_id, expires_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict (signature) where state in ('requested', 'approved') do nothing
returning id
