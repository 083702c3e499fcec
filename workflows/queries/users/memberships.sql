-- A user's project roles.
select m.project_id, p.slug, m.role
from project_members m
join projects p on p.id = m.project_id
where m.user_id = $1
order by p.slug
