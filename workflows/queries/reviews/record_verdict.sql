-- The reviewer's verdict; a review a person asked for (no gate row yet) gets its row here.
insert into reviews (reviewer_run_id, pull_request_number, head, round, verdict, summary, blocking_findings, decided_at)
values ($1, $2, $3, 1, $4, $5, $6, now())
on conflict (reviewer_run_id) do update
set verdict = excluded.verdict, summary = excluded.summary,
    blocking_findings = excluded.blocking_findings, decided_at = coalesce(reviews.decided_at, now())
returning reviewer_run_id, stage_run_id, pull_request_number, head, round, verdict, summary,
          blocking_findings, revise_run_id
