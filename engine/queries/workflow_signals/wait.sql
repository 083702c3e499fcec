-- A workflow's wait at step $3 (see engine_wait in migrations).
select outcome, payload from engine_wait($1, $2, $3, $4, $5, $6)
