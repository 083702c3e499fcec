-- The attempt's own end of its run, fenced by its epoch (see engine_end_if_leased in migrations).
select engine_end_if_leased($1, $2, $3, $4)
