-- Users by email, after the cursor's email.
select id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
from users
where ($1::text is null or email > $1)
order by email
limit $2
