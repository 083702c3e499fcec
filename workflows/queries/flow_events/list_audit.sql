-- The audit log newest first: optional run, kind and time range; keyset cursor on id.
select id, run_id, kind, step_seq, attempt, detail, created_at
from flow_events
where ($1::uuid is null or run_id = $1)
  and ($2::text is null or kind = $2)
  and ($3::timestamptz is null or created_at >= $3)
  and ($4::timestamptz is null or created_at < $4)
  and ($5::bigint is null or id < $5)
order by id desc
limit $6
