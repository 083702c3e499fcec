-- Takes a run out of parking (see engine_unpark in migrations).
select engine_unpark($1, $2)
