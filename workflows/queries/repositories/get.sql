-- One repository (never the token).
select id, project_id, full_name, default_branch, token_key_id, token_set_at, created_at
from repositories
where id = $1
