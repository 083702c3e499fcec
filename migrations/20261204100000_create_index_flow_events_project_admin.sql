-- no-transaction
-- A project's audit log: its administrative events belong to no run and name the project in their
-- detail (member removals, repository unbinds, its prompt template writes), newest first.
create index concurrently if not exists flow_events_project_admin
    on flow_events ((detail ->> 'project_id'), id desc) where run_id is null;
