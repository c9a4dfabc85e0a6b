CREATE OR REPLACE FUNCTION runlog.claim_prewarms(
    worker_id text, integration_types text[], max_claims integer DEFAULT 10
)
RETURNS TABLE (org_id uuid, integration_type text, slot timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    IF claim_prewarms.max_claims IS NULL OR claim_prewarms.max_claims NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_claims must be between 1 and 1000, got %s', claim_prewarms.max_claims)
        );
    END IF;
    -- The planned pre-warms (prewarm()'s schedule_prewarm rows) of slots still ahead
    -- that nobody claimed yet. The unique slot key lets one claimer win each.
    RETURN QUERY
    INSERT INTO runlog.prewarm_log AS p (org_id, integration_type, slot, worker_id)
    SELECT s.org_id, s.integration_type, w.slot, pg_catalog.left(claim_prewarms.worker_id, 200)
    FROM runlog.sync_schedule AS s
    INNER JOIN runlog.schedule_prewarm AS w ON s.id = w.schedule_id
    WHERE
        s.enabled
        AND s.integration_type = ANY(claim_prewarms.integration_types)
        AND w.slot > pg_catalog.now()
        AND NOT EXISTS (
            SELECT FROM runlog.prewarm_log AS done
            WHERE
                done.org_id = s.org_id
                AND done.integration_type = s.integration_type
                AND done.slot = w.slot
        )
    ORDER BY w.slot
    LIMIT claim_prewarms.max_claims
    ON CONFLICT ON CONSTRAINT prewarm_log_slot_key DO NOTHING
    RETURNING p.org_id, p.integration_type, p.slot;
END
$function$;

COMMENT ON FUNCTION runlog.claim_prewarms(text, text[], integer) IS
'Claims for one worker the pre-warms the database planned (prewarm()) for these integration types whose slot is still ahead and that no worker claimed: each goes to exactly one worker. Workers call it when NOTIFY runlog_prewarm wakes them and on every poll.';
