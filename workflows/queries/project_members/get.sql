-- One member of a project.
select m.user_id, u.email, u.github_login, m.role, m.learning_mode_override
from project_members m
join users u on u.id = m.user_id
where m.project_id = $1 and m.user_id = $2
