-- 0004_repeatable_scripts: functions and views move to repeatable files; the grant table.
--
-- From this release on, the current definition of every runlog function is in
-- sql/functions/<name>.sql and of every view in sql/views/<name>.sql, one
-- object a file, and the EXECUTE grants are in sql/grants.sql (see
-- docs/migrations.md). pyrunlog migrate re-applies such a file whenever its
-- checksum changes, after the numbered migrations. This migration adds the
-- ledger of those files, runlog.schema_repeatables, and the grant table,
-- runlog.function_grants, that sql/grants.sql fills.
--
-- Every statement is idempotent: running this file twice with
-- psql -v ON_ERROR_STOP=1 -f leaves the catalog as the first run left it.

CREATE TABLE IF NOT EXISTS runlog.schema_repeatables (
    path text PRIMARY KEY CHECK (path ~ '^(functions|views)/[a-z0-9_]+\.sql$|^grants\.sql$'),
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE runlog.schema_repeatables IS
'One row per repeatable SQL file (sql/functions, sql/views, sql/grants.sql) with the checksum it was last applied with; pyrunlog migrate re-applies a file whose checksum changed.';
COMMENT ON COLUMN runlog.schema_repeatables.path IS
'The file''s path below sql/, e.g. functions/start_run.sql.';
COMMENT ON COLUMN runlog.schema_repeatables.checksum IS
'SHA-256 of the file as last applied.';

GRANT SELECT ON runlog.schema_repeatables TO runlog_reader, runlog_worker, runlog_admin;

CREATE TABLE IF NOT EXISTS runlog.function_grants (
    signature text PRIMARY KEY,
    runlog_reader boolean NOT NULL DEFAULT false,
    runlog_worker boolean NOT NULL DEFAULT false,
    runlog_admin boolean NOT NULL DEFAULT false,
    CONSTRAINT function_grants_admin_inherits_worker CHECK (NOT runlog_worker OR runlog_admin)
);

COMMENT ON TABLE runlog.function_grants IS
'The grant table: which runlog role may execute which runlog function, one row per function (private helpers and trigger functions with no role). Filled from sql/grants.sql; runlog._apply_function_grants() makes the catalog match it exactly.';
COMMENT ON COLUMN runlog.function_grants.signature IS
'The function as regprocedure text, e.g. runlog.start_run(uuid, text, text, timestamptz, text).';
COMMENT ON COLUMN runlog.function_grants.runlog_reader IS
'Dashboards and tenants (their own organisation only) may execute it.';
COMMENT ON COLUMN runlog.function_grants.runlog_worker IS
'Sync workers may execute it.';
COMMENT ON COLUMN runlog.function_grants.runlog_admin IS
'Administrators may execute it (runlog_admin is a member of runlog_worker, so this is true wherever runlog_worker is).';

GRANT SELECT ON runlog.function_grants TO runlog_worker, runlog_admin;

INSERT INTO runlog.schema_migrations (version, name)
VALUES (4, 'repeatable_scripts')
ON CONFLICT (version) DO NOTHING;
