-- The reviewer run the pre-review gate started for a stage run, if any.
select reviewer_run_id from reviews where stage_run_id = $1
