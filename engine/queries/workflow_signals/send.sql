-- Sends a signal (see engine_signal in migrations).
select engine_signal($1, $2, $3, $4)
