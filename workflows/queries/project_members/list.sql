-- Members of a project by email after the cursor.
select m.user_id, u.email, u.github_login, m.role, m.learning_mode_override
from project_members m
join users u on u.id = m.user_id
where m.project_id = $1
  and ($2::text is null or u.email > $2)
order by u.email
limit $3
