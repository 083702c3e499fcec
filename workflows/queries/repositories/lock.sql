-- Locks a repository row until the transaction ends, before it is unbound: a stage run being
-- inserted for it (its foreign key takes a key-share lock) commits first or waits, so the next
-- statement sees every run that references it.
select id from repositories where id = $1 for update
