-- A project's repositories by name after the cursor (never the token, only whether one is set).
select id, project_id, full_name, default_branch, token_key_id, token_set_at, created_at
from repositories
where project_id = $1
  and ($2::text is null or full_name > $2)
order by full_name
limit $3
