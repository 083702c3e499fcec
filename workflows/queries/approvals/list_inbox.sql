-- The approvals inbox newest first: one state, optionally one project or only these projects;
-- keyset cursor (created_at, id).
select a.*, p.slug as project_slug
from approvals a
join projects p on p.id = a.project_id
where a.state = $1
  and ($2::uuid is null or a.project_id = $2)
  and ($3::uuid[] is null or a.project_id = any($3))
  and ($4::timestamptz is null or (a.created_at, a.id) < ($4, $5::uuid))
order by a.created_at desc, a.id desc
limit $6
