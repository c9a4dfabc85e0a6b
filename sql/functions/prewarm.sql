CREATE OR REPLACE FUNCTION runlog.prewarm(at timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    signalled integer := 0;
    due record;
BEGIN
    -- Pre-warm only reads sync_schedule and schedule_slot and keeps its own
    -- state in schedule_prewarm: it never locks a row that tick() needs.
    FOR due IN
        WITH upcoming AS (
            -- The next slot after `at`: next_slot, or (when the tick of this
            -- minute has not run yet, since pg_cron starts both jobs at once)
            -- the one after it.
            SELECT
                s.id,
                s.org_id,
                s.integration_type,
                CASE
                    WHEN n.next_slot > prewarm.at THEN n.next_slot
                    ELSE runlog._next_slot(s.cron_spec, s.time_zone, prewarm.at)
                END AS slot,
                s.prewarm_lead
            FROM runlog.schedule_slot AS n
            INNER JOIN runlog.sync_schedule AS s ON n.schedule_id = s.id
            WHERE s.enabled AND n.next_slot <= prewarm.at + s.prewarm_lead
        ),

        signalled AS (
            INSERT INTO runlog.schedule_prewarm AS w (schedule_id, slot)
            SELECT u.id, u.slot FROM upcoming AS u
            WHERE u.slot <= prewarm.at + u.prewarm_lead
            ON CONFLICT (schedule_id) DO UPDATE
                SET slot = excluded.slot, signalled_at = pg_catalog.now()
                WHERE w.slot IS DISTINCT FROM excluded.slot
            RETURNING w.schedule_id, w.slot
        )

        SELECT u.org_id, u.integration_type, g.slot
        FROM signalled AS g
        INNER JOIN upcoming AS u ON g.schedule_id = u.id
    LOOP
        -- The plan is the schedule_prewarm row; the payload names no
        -- organisation. Workers claim planned pre-warms with claim_prewarms.
        PERFORM pg_catalog.pg_notify('runlog_prewarm', due.integration_type);
        signalled := signalled + 1;
    END LOOP;
    RETURN signalled;
END
$function$;

COMMENT ON FUNCTION runlog.prewarm(timestamptz) IS
'Plans a pre-warm (a runlog.schedule_prewarm row) and sends NOTIFY runlog_prewarm with its integration type once for each schedule whose next slot is within its pre-warm lead; its state is in schedule_prewarm, so it never locks a schedule or slot row. Returns the number of signals.';
