-- Hands a leased task back (see engine_release in migrations).
select outcome, run_at from engine_release($1, $2, $3, $4, $5, $6, $7, $8, $9)
