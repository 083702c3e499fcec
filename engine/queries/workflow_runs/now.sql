-- The database clock.
select now()
