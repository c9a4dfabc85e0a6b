-- 0007_readable_answers: what a DBA sees in psql. Adds runlog.problem (a
-- documented error that internal helpers return instead of raising, so the
-- public function raises it and psql shows its message and hint without the
-- helper chain as CONTEXT) and runlog.schedule_summary (the row
-- set_schedule, enable_schedule, disable_schedule and delete_schedule return:
-- the schedule as written, without the parsed cron arrays). Drops the
-- functions whose return type changes; sql/functions/ defines them anew.
--
-- Idempotent: running it twice leaves the catalog unchanged.

DO $types$
BEGIN
    IF pg_catalog.to_regtype('runlog.problem') IS NULL THEN
        CREATE TYPE runlog.problem AS (
            sqlstate text,
            message text,
            hint text
        );
    END IF;
    IF pg_catalog.to_regtype('runlog.schedule_summary') IS NULL THEN
        CREATE TYPE runlog.schedule_summary AS (
            id bigint,
            org_id uuid,
            integration_type text,
            cron text,
            time_zone text,
            enabled boolean,
            catch_up text,
            prewarm_lead interval,
            next_slot timestamptz,
            last_slot timestamptz,
            updated_at timestamptz
        );
    END IF;
END
$types$;

COMMENT ON TYPE runlog.problem IS
'A documented error an internal helper found: SQLSTATE, message and hint (never NULL). The public function raises it, so psql shows no helper chain.';
COMMENT ON TYPE runlog.schedule_summary IS
'A schedule as set_schedule and friends return it: the expression as written, its zone and policies, and the next and last slots.';

-- Drop each only while it still has its old return type, so that running this
-- file again after sql/functions/ leaves the new definitions alone.
DO $drops$
DECLARE
    old record;
BEGIN
    FOR old IN
        SELECT p.oid::regprocedure AS signature
        FROM (VALUES
            ('runlog._cron_field(text, text, integer, integer, text[])', 'integer[]'),
            ('runlog.set_schedule(uuid, text, text, text, text, interval, boolean)', 'runlog.sync_schedule'),
            ('runlog.enable_schedule(uuid, text, boolean)', 'runlog.sync_schedule'),
            ('runlog.disable_schedule(uuid, text)', 'runlog.sync_schedule'),
            ('runlog.delete_schedule(uuid, text)', 'runlog.sync_schedule')
        ) AS f (signature, old_type)
        INNER JOIN pg_catalog.pg_proc AS p
            ON p.oid = pg_catalog.to_regprocedure(f.signature)
        WHERE p.prorettype = pg_catalog.to_regtype(f.old_type)
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s', old.signature);
    END LOOP;
END
$drops$;

-- enable_schedule and delete_schedule raise RL004 themselves now
DROP FUNCTION IF EXISTS runlog._no_schedule(uuid, text);

INSERT INTO runlog.schema_migrations (version, name)
VALUES (7, 'readable_answers')
ON CONFLICT (version) DO NOTHING;
