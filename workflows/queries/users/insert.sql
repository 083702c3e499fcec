-- Registers a user by email (no self-signup: staff are pre-registered); a duplicate email or login is refused.
insert into users (email, github_login, is_platform_owner, is_platform_admin)
values (lower($1), lower($2), $3, $4)
returning id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
