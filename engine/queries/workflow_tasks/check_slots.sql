-- Repairs concurrency slot drift (see engine_check_slots in migrations).
select key, recorded, actual from engine_check_slots()
