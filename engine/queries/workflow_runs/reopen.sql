-- Re-opens a failed run from its last failed step (see engine_reopen in migrations).
select engine_reopen($1)
