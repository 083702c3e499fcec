-- (project, thread) of every active run, as its runtime environment is labelled (the Issue of a
-- pull request's run when it has one): the environments the sweep keeps.
select distinct project_id, coalesce(issue_number, thread_number) as thread
from agent_runs
where status in ('pending', 'running', 'waiting')
