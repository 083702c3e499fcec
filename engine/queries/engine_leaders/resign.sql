-- Gives the role $1 up if holder $2 has it, so another process takes over at once.
delete from engine_leaders where id = $1 and holder = $2
