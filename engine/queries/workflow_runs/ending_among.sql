-- Which of the given runs are ending (have an end reason), to catch up on missed cancel notices.
select id from workflow_runs where id = any($1) and end_reason is not null and finished_at is null
