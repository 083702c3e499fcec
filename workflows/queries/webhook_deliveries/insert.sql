-- Stores an accepted delivery; a redelivery (same delivery id) inserts nothing.
insert into webhook_deliveries (delivery_id, event, action, repository, sender_login, payload)
values ($1, $2, $3, $4, $5, $6)
on conflict (delivery_id) do nothing
returning id
