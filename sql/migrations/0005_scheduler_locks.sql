-- 0005_scheduler_locks: tick loses no slot whatever runs beside it.
--
-- pg_cron starts runlog_prewarm and runlog_tick in the same second, and
-- operators edit schedules at any time. Tick used to read the due schedule
-- rows FOR UPDATE SKIP LOCKED while prewarm updated those same rows, so it
-- skipped every row prewarm (or an operator's open transaction) held, and
-- catch-up latest/none then dropped the skipped slot for good. This migration
-- adds:
-- * runlog.schedule_prewarm, pre-warm's own state (the last slot signalled per
--   schedule), so prewarm never writes, and never locks, a schedule row;
-- * runlog.scheduler_state, an owner-only one-row table: tick and maintain
--   serialise on a row lock of it, and tick notes there when it ran (moved
--   from settings). No role has any privilege on it, so no tenant, worker or
--   operator can block the scheduler (any login can take any advisory lock,
--   which is why this is not an advisory lock);
-- * runlog.retention_state, the same kind of owner-only row for the daily
--   retention that workers driving the jobs run through maintain_retention()
--   (prune() itself is for runlog_admin: it takes an age a worker must not
--   choose);
-- * runlog.settings.tick_interval, how often tick is expected to run, which
--   doctor uses to see late slots and a stale tick.
-- The pre-warm column sync_schedule.prewarmed_slot moves to the new table.
--
-- Idempotent: running it twice with psql -v ON_ERROR_STOP=1 -f leaves the
-- catalog as the first run left it.

CREATE TABLE IF NOT EXISTS runlog.schedule_prewarm (
    schedule_id bigint PRIMARY KEY,
    slot timestamptz NOT NULL,
    signalled_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE runlog.schedule_prewarm IS
'Pre-warm state per schedule, kept out of sync_schedule so that prewarm() never locks a schedule row tick() needs. Written only by prewarm().';
COMMENT ON COLUMN runlog.schedule_prewarm.schedule_id IS
'The schedule (sync_schedule.id); no foreign key, so that writing here takes no lock on the schedule row.';
COMMENT ON COLUMN runlog.schedule_prewarm.slot IS 'The last slot a pre-warm signal went out for.';
COMMENT ON COLUMN runlog.schedule_prewarm.signalled_at IS 'When that signal went out.';

-- Not for readers: it holds every organisation's schedule ids and slots.
GRANT SELECT ON runlog.schedule_prewarm TO runlog_worker, runlog_admin;

DO $migrate$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_attribute
        WHERE attrelid = 'runlog.sync_schedule'::regclass AND attname = 'prewarmed_slot' AND NOT attisdropped
    ) THEN
        INSERT INTO runlog.schedule_prewarm (schedule_id, slot)
        SELECT s.id, s.prewarmed_slot FROM runlog.sync_schedule AS s
        WHERE s.prewarmed_slot IS NOT NULL
        ON CONFLICT (schedule_id) DO NOTHING;
    END IF;
END
$migrate$;

ALTER TABLE runlog.sync_schedule DROP COLUMN IF EXISTS prewarmed_slot;

CREATE TABLE IF NOT EXISTS runlog.scheduler_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_tick_at timestamptz,
    last_tick_by text
);

INSERT INTO runlog.scheduler_state (singleton) VALUES (true) ON CONFLICT (singleton) DO NOTHING;

COMMENT ON TABLE runlog.scheduler_state IS
'One row that tick() and maintain() lock FOR UPDATE to run one at a time, and where tick() notes when it ran. Owner-only (no grants): nobody else can hold the lock; read it through scheduler_status().';
COMMENT ON COLUMN runlog.scheduler_state.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN runlog.scheduler_state.last_tick_at IS 'When tick() last ran.';
COMMENT ON COLUMN runlog.scheduler_state.last_tick_by IS
'Who ran the last tick: pg_cron, or worker:<id> when a worker drives the jobs.';

REVOKE ALL ON runlog.scheduler_state FROM public;

-- The last tick moves here from settings, which runlog_admin may UPDATE (an
-- open transaction there would have blocked every tick).
DO $migrate$
BEGIN
    IF EXISTS (
        SELECT FROM pg_catalog.pg_attribute
        WHERE attrelid = 'runlog.settings'::regclass AND attname = 'last_tick_at' AND NOT attisdropped
    ) THEN
        EXECUTE 'UPDATE runlog.scheduler_state AS t SET last_tick_at = s.last_tick_at, last_tick_by = s.last_tick_by'
            ' FROM runlog.settings AS s';
    END IF;
END
$migrate$;

ALTER TABLE runlog.settings DROP COLUMN IF EXISTS last_tick_at;
ALTER TABLE runlog.settings DROP COLUMN IF EXISTS last_tick_by;

CREATE TABLE IF NOT EXISTS runlog.retention_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_pruned_at timestamptz,
    last_pruned_by text
);

INSERT INTO runlog.retention_state (singleton) VALUES (true) ON CONFLICT (singleton) DO NOTHING;

COMMENT ON TABLE runlog.retention_state IS
'One row: when workers driving the jobs (--tick) last ran retention through maintain_retention(), which locks it so one worker at a time prunes. Owner-only (no grants).';
COMMENT ON COLUMN runlog.retention_state.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN runlog.retention_state.last_pruned_at IS 'When maintain_retention() last pruned.';
COMMENT ON COLUMN runlog.retention_state.last_pruned_by IS 'The worker that did.';

REVOKE ALL ON runlog.retention_state FROM public;

ALTER TABLE runlog.settings ADD COLUMN IF NOT EXISTS tick_interval interval NOT NULL DEFAULT '1 minute';

DO $migrate$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_catalog.pg_constraint
        WHERE conrelid = 'runlog.settings'::regclass AND conname = 'settings_tick_interval_check'
    ) THEN
        ALTER TABLE runlog.settings ADD CONSTRAINT settings_tick_interval_check
        CHECK (tick_interval BETWEEN interval '1 second' AND interval '1 day');
    END IF;
END
$migrate$;

COMMENT ON COLUMN runlog.settings.tick_interval IS
'How often tick() is scheduled to run (the runlog_tick job); doctor reports slots older than this as late.';

GRANT UPDATE (tick_interval) ON runlog.settings TO runlog_admin;

INSERT INTO runlog.schema_migrations (version, name)
VALUES (5, 'scheduler_locks')
ON CONFLICT (version) DO NOTHING;
