-- Removes a user (their memberships go with them: project_members cascades); never the platform
-- owner. No row: no such user, or it is the owner.
delete from users
where id = $1 and not is_platform_owner
returning id, email, github_login, is_platform_owner, is_platform_admin, learning_mode_override, created_at
