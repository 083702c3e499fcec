-- Gives back the concurrency slots of one finished run (see engine_release_slots in migrations).
select engine_release_slots($1)
