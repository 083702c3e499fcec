-- Locks a user row until the transaction ends, before a change that is audited with its previous
-- values (the user's settings, or a membership of theirs): concurrent changes of the same user wait,
-- so each audit event names the values it replaced. `for no key update` leaves key-share lockers
-- (a membership being inserted for the user) unblocked.
select id from users where id = $1 for no key update
