-- Rescues expired leases (see engine_rescue in migrations): $1 max rescues without progress, $2 batch.
select run_id, queue, rescues, outcome from engine_rescue($1, $2)
