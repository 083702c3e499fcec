-- A GitHub login's platform flags and role in a project (null project role: not a member).
select u.id, u.is_platform_owner, u.is_platform_admin, m.role, m.learning_mode_override
from users u
left join project_members m on m.user_id = u.id and m.project_id = $2
where u.github_login = lower($1)
