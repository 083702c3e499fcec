-- The project a repository is bound to, with the project settings runs need.
select r.id as repository_id, r.project_id, r.default_branch, p.slug, p.locale, p.learning_mode_default,
       p.max_active_runs
from repositories r
join projects p on p.id = r.project_id
where r.full_name = lower($1)
