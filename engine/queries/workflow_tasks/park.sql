-- Parks a run under the attempt's lease (see engine_park in migrations).
select engine_park($1, $2, $3)
