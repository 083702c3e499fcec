-- The round of the review whose `changes_requested` started this (revise) stage run, if any.
select round from reviews where revise_run_id = $1
