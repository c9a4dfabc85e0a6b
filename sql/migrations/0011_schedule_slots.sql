-- 0011_schedule_slots: a schedule's place in time gets a narrow table of its own.
--
-- Every minute tick() advances the next slot of every due schedule. While
-- next_slot lived in sync_schedule, each advance wrote a new version of the
-- whole schedule row (about 800 bytes, most of it the parsed cron arrays) and
-- a new entry in each of its three indexes, one of them keyed by a random
-- organisation id: at 100,000 due schedules that UPDATE took a second of the
-- tick. This migration adds:
-- * runlog.schedule_slot, one narrow row per schedule (next_slot, last_slot)
--   with an index on next_slot. tick() finds due slots there, locks only these
--   rows, and the operator functions (set/enable/disable/delete/resume) lock
--   the same row, so "tick waits for an operator's open edit" still holds.
--   Readers see the rows of their own organisation's schedules.
-- * The move of sync_schedule.next_slot and last_slot (and their index
--   sync_schedule_due_idx) into it, rows intact.
-- * sync_run_log_latest_idx only for started runs: last_runs() asks for the
--   latest *started* run, so the queued runs tick() inserts need no entry
--   there until a worker starts them (starting a run writes a new index entry
--   anyway, since its status changes).
--
-- Idempotent: running it twice with psql -v ON_ERROR_STOP=1 -f leaves the
-- catalog as the first run left it.

CREATE TABLE IF NOT EXISTS runlog.schedule_slot (
    schedule_id bigint PRIMARY KEY REFERENCES runlog.sync_schedule (id) ON DELETE CASCADE,
    next_slot timestamptz,
    last_slot timestamptz
);

COMMENT ON TABLE runlog.schedule_slot IS
'Where each schedule is in time, one narrow row per sync_schedule row: tick() advances it every slot without rewriting the schedule. Written by tick() and the schedule functions, which lock it while they change a schedule.';
COMMENT ON COLUMN runlog.schedule_slot.schedule_id IS 'The schedule (sync_schedule.id); deleted with it.';
COMMENT ON COLUMN runlog.schedule_slot.next_slot IS
'The next slot tick() will enqueue while the schedule is enabled; enabling a disabled schedule sets it from now.';
COMMENT ON COLUMN runlog.schedule_slot.last_slot IS 'The last slot tick() enqueued.';

CREATE INDEX IF NOT EXISTS schedule_slot_due_idx ON runlog.schedule_slot (next_slot);
COMMENT ON INDEX runlog.schedule_slot_due_idx IS 'Serves tick() and prewarm(): schedules by next slot.';

DO $migrate$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_attribute
        WHERE attrelid = 'runlog.sync_schedule'::regclass AND attname = 'next_slot' AND NOT attisdropped
    ) THEN
        EXECUTE $copy$
            INSERT INTO runlog.schedule_slot (schedule_id, next_slot, last_slot)
            SELECT s.id, s.next_slot, s.last_slot FROM runlog.sync_schedule AS s
            ON CONFLICT (schedule_id) DO NOTHING
        $copy$;
    END IF;
END
$migrate$;

ALTER TABLE runlog.sync_schedule DROP COLUMN IF EXISTS next_slot;
ALTER TABLE runlog.sync_schedule DROP COLUMN IF EXISTS last_slot;

COMMENT ON TABLE runlog.sync_schedule IS
'When each integration of each organisation syncs: a cron expression in a time zone. Written through set_schedule and friends (runlog_admin). Its next and last slot are in runlog.schedule_slot (since schema 0011).';

GRANT SELECT ON runlog.schedule_slot TO runlog_reader, runlog_worker, runlog_admin;
-- A reader sees the slot of a schedule it can see (sync_schedule's own policy
-- applies inside the EXISTS).
SELECT runlog._tenant_policies(
    'schedule_slot', 'EXISTS (SELECT FROM runlog.sync_schedule AS s WHERE s.id = schedule_id)'
);

-- resume_schedule returns runlog.schedule_summary now, like the other
-- schedule functions; drop it only while it has its old return type.
DO $drops$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_proc AS p
        WHERE
            p.oid = pg_catalog.to_regprocedure('runlog.resume_schedule(uuid, text)')
            AND p.prorettype = 'runlog.sync_schedule'::regtype
    ) THEN
        DROP FUNCTION runlog.resume_schedule(uuid, text);
    END IF;
END
$drops$;
-- the summary is built from the schedule and its slot now
DROP FUNCTION IF EXISTS runlog._schedule_summary(runlog.sync_schedule);
-- tick's set-based step locks the due slots itself now (one schedule or all)
DROP FUNCTION IF EXISTS runlog._enqueue_due(bigint[], timestamptz, runlog.settings);
DROP FUNCTION IF EXISTS runlog._enqueue_due(bigint, timestamptz, runlog.settings);

DO $latest$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_index AS i
        WHERE i.indexrelid = pg_catalog.to_regclass('runlog.sync_run_log_latest_idx') AND i.indpred IS NULL
    ) THEN
        DROP INDEX runlog.sync_run_log_latest_idx;
    END IF;
END
$latest$;

CREATE INDEX IF NOT EXISTS sync_run_log_latest_idx
ON runlog.sync_run_log (org_id, integration_type, started_at DESC NULLS LAST, id DESC)
WHERE started_at IS NOT NULL;
COMMENT ON INDEX runlog.sync_run_log_latest_idx IS
'Serves last_runs: the latest started run per integration without scanning history. Queued runs are not in it.';

INSERT INTO runlog.schema_migrations (version, name)
VALUES (11, 'schedule_slots')
ON CONFLICT (version) DO NOTHING;
