-- 0006_hostile_tenants: bound logins, an alert log, a request gate, a migration lock; no caller-chosen time.
--
-- A tenant with a database login reaches the package through channels
-- row-level security does not cover (issue 10, docs/security.md):
-- - runlog.org_logins binds a LOGIN role (by OID) to one organisation by session_user,
--   so neither a claim nor SET ROLE can widen what it sees;
-- - runlog.alert_log holds the drift and health alerts; NOTIFY runlog_alert
--   carries only the alert kind and workers read the facts from here;
-- - runlog.manual_request_gate serialises a reader's requests for one
--   integration, so "sync now" twice queues one run;
-- - runlog.migration_lock is what pyrunlog migrate locks (SHARE UPDATE
--   EXCLUSIVE from a second connection): no reader can hold a conflicting
--   lock on a table it has no privilege on, unlike an advisory lock;
-- - maintain and claim_health_checks drop their `at` argument: only admins
--   choose the time of a tick (runlog.tick).
--
-- Every statement is idempotent: running this file twice with
-- psql -v ON_ERROR_STOP=1 -f leaves the catalog as the first run left it.

CREATE TABLE IF NOT EXISTS runlog.org_logins (
    login regrole PRIMARY KEY,
    org_id uuid NOT NULL,
    bound_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by name NOT NULL DEFAULT session_user
);

-- Bindings are keyed by the role's OID (regrole), not its name: renaming a
-- bound role keeps its binding, and a role created later under a dropped
-- role's name is not bound. Databases that applied an earlier draft of this
-- file (login name) are converted; bindings of roles that no longer exist go.
DO $convert$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_attribute AS a
        WHERE
            a.attrelid = 'runlog.org_logins'::regclass AND a.attname = 'login'
            AND a.atttypid = 'pg_catalog.name'::regtype
    ) THEN
        DELETE FROM runlog.org_logins AS l
        WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = l.login);
        ALTER TABLE runlog.org_logins
        ALTER COLUMN login TYPE regrole USING pg_catalog.quote_ident(login)::regrole;
    END IF;
END
$convert$;

COMMENT ON TABLE runlog.org_logins IS
'LOGIN roles bound to one organisation: for such a session_user runlog.current_org_id() is this org_id whatever claim it sets. Changed only through runlog.bind_login and runlog.unbind_login (admins).';
COMMENT ON COLUMN runlog.org_logins.login IS
'The LOGIN role (session_user; SET ROLE does not change it), by OID: a rename keeps the binding; a dropped role''s row binds no later role of that name (bind_login removes such rows).';
COMMENT ON COLUMN runlog.org_logins.org_id IS
'The only organisation this login acts for.';
COMMENT ON COLUMN runlog.org_logins.bound_at IS
'When the binding was made or last changed.';
COMMENT ON COLUMN runlog.org_logins.bound_by IS
'The session_user that made the binding.';

REVOKE ALL ON runlog.org_logins FROM public;
GRANT SELECT ON runlog.org_logins TO runlog_admin;

CREATE TABLE IF NOT EXISTS runlog.alert_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raised_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    kind text NOT NULL CHECK (kind IN ('drift', 'health')),
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    run_id bigint,
    details jsonb NOT NULL DEFAULT '{}'
);

COMMENT ON TABLE runlog.alert_log IS
'Drift and health alerts as the database raised them. NOTIFY runlog_alert only says that one was added (payload: its kind); workers read the rows with runlog.recent_alerts(). Pruned with the run log.';
COMMENT ON COLUMN runlog.alert_log.id IS
'Increasing: a worker asks for the alerts after the last id it saw.';
COMMENT ON COLUMN runlog.alert_log.raised_at IS
'When the alert was raised.';
COMMENT ON COLUMN runlog.alert_log.kind IS
'drift (a scheduled run started late) or health (the health of an integration changed).';
COMMENT ON COLUMN runlog.alert_log.org_id IS
'The organisation the alert is about.';
COMMENT ON COLUMN runlog.alert_log.integration_type IS
'The integration the alert is about.';
COMMENT ON COLUMN runlog.alert_log.run_id IS
'The late run (drift alerts).';
COMMENT ON COLUMN runlog.alert_log.details IS
'drift: scheduled_for, drift_seconds; health: from, to, based_on, error (200 characters at most).';

CREATE INDEX IF NOT EXISTS alert_log_raised_at_idx ON runlog.alert_log (raised_at);
COMMENT ON INDEX runlog.alert_log_raised_at_idx IS
'Serves prune and recent_alerts without a cursor: alerts by time.';

REVOKE ALL ON runlog.alert_log FROM public;
GRANT SELECT ON runlog.alert_log TO runlog_worker, runlog_admin;

CREATE TABLE IF NOT EXISTS runlog.manual_request_gate (
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (org_id, integration_type)
);

COMMENT ON TABLE runlog.manual_request_gate IS
'One row per integration a reader ever requested a sync of; request_sync locks it so that concurrent requests from readers queue at most one manual run. Owner only.';
COMMENT ON COLUMN runlog.manual_request_gate.org_id IS
'The organisation of the integration.';
COMMENT ON COLUMN runlog.manual_request_gate.integration_type IS
'The integration.';
COMMENT ON COLUMN runlog.manual_request_gate.requested_at IS
'The last request by a reader.';

REVOKE ALL ON runlog.manual_request_gate FROM public;

CREATE INDEX IF NOT EXISTS sync_run_log_queued_manual_idx
ON runlog.sync_run_log (org_id, integration_type, id)
WHERE status = 'queued' AND triggered_by = 'manual';
COMMENT ON INDEX runlog.sync_run_log_queued_manual_idx IS
'Serves request_sync: the queued manual run of an integration that a reader''s repeated request returns.';

CREATE TABLE IF NOT EXISTS runlog.migration_lock (
    locked boolean PRIMARY KEY DEFAULT true CHECK (locked)
);

COMMENT ON TABLE runlog.migration_lock IS
'Empty; pyrunlog migrate holds LOCK TABLE runlog.migration_lock IN SHARE UPDATE EXCLUSIVE MODE while it migrates. Only the owner may take a lock that conflicts with it (an advisory lock any connection can take).';
COMMENT ON COLUMN runlog.migration_lock.locked IS
'Unused: the table exists to be locked.';

REVOKE ALL ON runlog.migration_lock FROM public;

CREATE INDEX IF NOT EXISTS schedule_prewarm_slot_idx
ON runlog.schedule_prewarm (slot);
COMMENT ON INDEX runlog.schedule_prewarm_slot_idx IS
'Serves claim_prewarms, which every worker with pre-warm hooks calls on each poll: planned pre-warms by slot.';

DROP FUNCTION IF EXISTS runlog.maintain(text, timestamptz);
DROP FUNCTION IF EXISTS runlog.claim_health_checks(text, text[], timestamptz, integer);

INSERT INTO runlog.schema_migrations (version, name)
VALUES (6, 'hostile_tenants')
ON CONFLICT (version) DO NOTHING;
