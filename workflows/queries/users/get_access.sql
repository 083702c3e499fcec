-- A GitHub login's platform flags and role in a project (null project role: not a member), and its
-- learning-mode override: the member's for this project, else the user's own toggle.
select u.id, u.is_platform_owner, u.is_platform_admin, m.role,
       coalesce(m.learning_mode_override, u.learning_mode_override) as learning_mode_override
from users u
left join project_members m on m.user_id = u.id and m.project_id = $2
where u.github_login = lower($1)
