-- A claim rewrites each task it takes (ready -> leased, with its epoch, worker and lease), and that
-- new version is longer than the ready one. On a full page it goes to another page, and Postgres
-- then writes an extra row lock record to keep the old version while it looks for room. Leave room
-- on each page for a leased version of every task on it (ADR 0033). Applies to pages written from
-- now on; the table is a queue, so that is every page soon.
alter table workflow_tasks set (fillfactor = 40);
