-- Links the revise run a `changes_requested` verdict started.
update reviews set revise_run_id = $2 where reviewer_run_id = $1 and revise_run_id is null
