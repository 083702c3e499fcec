-- Records a review the gate started (idempotent per reviewer run).
insert into reviews (reviewer_run_id, stage_run_id, pull_request_number, head, round)
values ($1, $2, $3, $4, $5)
on conflict (reviewer_run_id) do nothing
