-- 0012_cheaper_tick: tick's per-slot writes get cheaper.
--
-- Profiled at 100,000 due schedules, two costs of tick() were in the schema
-- rather than in its SQL. This migration adds:
-- * The integration_type rule written as '^[a-z][a-z0-9_]*$' plus a length
--   check, on every table that has it. The rule is the same (lower snake case,
--   1 to 64 characters, starting with a letter); the old pattern's bounded
--   repetition {0,63} made PostgreSQL's regex engine walk 64 states per
--   character, and the check runs on every INSERT and UPDATE of a run: a tenth
--   of a 100k tick. Adding each constraint reads its table once, under the
--   migration's lock (sync_run_log: 0.3 to 0.4 s per million runs, measured).
-- * No index on schedule_slot.next_slot, and fillfactor 50: tick's UPDATE of
--   next_slot becomes a HOT update (no index entry, the new version on the same
--   page) instead of two index insertions per schedule. tick(), prewarm() and
--   the checks that look for due or late slots read the narrow table whole
--   instead (about 10 ms per 100,000 schedules).
--
-- Idempotent: running it twice with psql -v ON_ERROR_STOP=1 -f leaves the
-- catalog as the first run left it.

-- The same rule on each table that names an integration; retry_policy also
-- takes '*' (every integration).
DO $rule$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY[
        'sync_run_log', 'sync_schedule', 'integration_health', 'health_modes', 'integration_holds'
    ] LOOP
        EXECUTE pg_catalog.format(
            'ALTER TABLE runlog.%1$I DROP CONSTRAINT IF EXISTS %2$I, ADD CONSTRAINT %2$I '
            'CHECK (integration_type ~ ''^[a-z][a-z0-9_]*$'' AND pg_catalog.char_length(integration_type) <= 64)',
            target, target || '_integration_type_check'
        );
    END LOOP;
END
$rule$;

ALTER TABLE runlog.retry_policy
DROP CONSTRAINT IF EXISTS retry_policy_integration_type_check,
ADD CONSTRAINT retry_policy_integration_type_check
CHECK (
    integration_type = '*'
    OR (integration_type ~ '^[a-z][a-z0-9_]*$' AND pg_catalog.char_length(integration_type) <= 64)
);

DROP INDEX IF EXISTS runlog.schedule_slot_due_idx;
ALTER TABLE runlog.schedule_slot SET (fillfactor = 50);

COMMENT ON TABLE runlog.schedule_slot IS
'Where each schedule is in time, one narrow row per sync_schedule row: tick() advances it every slot without rewriting the schedule. Written by tick() and the schedule functions, which lock it while they change a schedule. No index on next_slot and half-full pages: each advance is a HOT update.';

INSERT INTO runlog.schema_migrations (version, name)
VALUES (12, 'cheaper_tick')
ON CONFLICT (version) DO NOTHING;
