-- Changes a user's platform admin flag, login and learning-mode toggle (null arguments keep the value;
-- $5 = true clears the learning-mode toggle).
update users
set is_platform_admin = coalesce($2, is_platform_admin),
    github_login = coalesce(lower($3), github_login),
    learning_mode_override = case when $5 then null else coalesce($4, learning_mode_override) end,
    updated_at = now()
where id = $1
returning id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
