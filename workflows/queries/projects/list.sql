-- Projects by slug after the cursor; all of them ($3 null) or only these ids (a member's).
select id, slug, name, locale, learning_mode_default, max_active_runs, created_at
from projects
where ($1::text is null or slug > $1)
  and ($3::uuid[] is null or id = any($3))
order by slug
limit $2
