-- Starts one run (see engine_start in migrations).
select run_id, created, conflict from engine_start($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
