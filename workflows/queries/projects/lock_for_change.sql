-- Locks a project row until the transaction ends, before a settings change that is audited with its
-- previous values: concurrent changes wait, so each audit event names the values it replaced.
-- `for no key update` leaves key-share lockers (a stage run or repository being inserted) unblocked.
select id from projects where id = $1 for no key update
