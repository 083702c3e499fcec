-- The first registered user among these emails (a GitHub account's verified addresses).
select id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
from users
where email = any(select lower(e) from unnest($1::text[]) e)
order by created_at, id
limit 1
