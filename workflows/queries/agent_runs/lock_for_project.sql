-- Locks every stage run of a project until the transaction ends, in id order, before the project is
-- deleted: a retry re-opening one of them (agent_runs/lock.sql, held across the engine call) has
-- committed first, so the next statement sees its engine run live, or it waits and then finds no run.
select id from agent_runs where project_id = $1 order by id for update
