-- One user by email (any case).
select id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
from users
where email = lower($1)
