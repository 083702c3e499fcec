-- Releases one concurrency slot per key in $1 (sorted, so lock order is stable).
select engine_release_slot(k) from unnest($1::text[]) as k order by k
