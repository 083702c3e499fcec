-- Asks a run to end with reason $2 (see engine_terminate in migrations).
select engine_terminate($1, $2, $3)
