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
    -- The next slot after `at`: next_slot, or (when the tick of this minute has
    -- not run yet, since pg_cron starts both jobs at once) the one after it.
    FOR due IN
        WITH upcoming AS (
            SELECT
                s.id,
                CASE
                    WHEN s.next_slot > prewarm.at THEN s.next_slot
                    ELSE runlog._next_slot(s.cron_spec, s.time_zone, prewarm.at)
                END AS slot
            FROM runlog.sync_schedule AS s
            WHERE s.enabled AND s.next_slot <= prewarm.at + s.prewarm_lead
        )

        UPDATE runlog.sync_schedule AS s
        SET prewarmed_slot = u.slot
        FROM upcoming AS u
        WHERE
            s.id = u.id
            AND u.slot <= prewarm.at + s.prewarm_lead
            AND s.prewarmed_slot IS DISTINCT FROM u.slot
        RETURNING s.org_id, s.integration_type, u.slot AS next_slot
    LOOP
        -- The plan is the schedule's prewarmed_slot; the payload names no
        -- organisation. Workers claim planned pre-warms with claim_prewarms.
        PERFORM pg_catalog.pg_notify('runlog_prewarm', due.integration_type);
        signalled := signalled + 1;
    END LOOP;
    RETURN signalled;
END
$function$;

COMMENT ON FUNCTION runlog.prewarm(timestamptz) IS
'Plans a pre-warm (sync_schedule.prewarmed_slot) once for each schedule whose next slot is within its pre-warm lead and sends NOTIFY runlog_prewarm with its integration type; workers claim the planned ones with claim_prewarms. Returns the number planned.';
