-- One review by its reviewer run.
select reviewer_run_id, stage_run_id, pull_request_number, head, round, verdict, summary,
       blocking_findings, revise_run_id
from reviews where reviewer_run_id = $1
