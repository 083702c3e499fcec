-- Decided database requests of a project's environment and database, newest first (describe).
select * from approvals
where project_id = $1 and kind = 'database_lifecycle'
  and request ->> 'environment' = $2 and request ->> 'database' = $3
  and state <> 'requested'
order by created_at desc
limit 10
