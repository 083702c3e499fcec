-- Locks a project row until the transaction ends, before it is deleted: a stage run being inserted
-- for it (its foreign key takes a key-share lock) commits first or waits, so the next statement
-- sees every run of the project.
select id from projects where id = $1 for update
