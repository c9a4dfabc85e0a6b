CREATE OR REPLACE FUNCTION runlog.claim_prewarm(
    org_id uuid, integration_type text, slot timestamptz, worker_id text
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    PERFORM runlog._check_run_args(
        claim_prewarm.org_id, claim_prewarm.integration_type, 'scheduler', claim_prewarm.slot, NULL
    );
    IF claim_prewarm.slot IS NULL THEN
        PERFORM runlog._invalid('slot must not be NULL');
    END IF;
    -- Only a pre-warm the database planned (prewarm()'s schedule_prewarm
    -- row) for a slot still ahead: a NOTIFY anyone can forge.
    INSERT INTO runlog.prewarm_log AS p (org_id, integration_type, slot, worker_id)
    SELECT s.org_id, s.integration_type, w.slot, pg_catalog.left(claim_prewarm.worker_id, 200)
    FROM runlog.sync_schedule AS s
    INNER JOIN runlog.schedule_prewarm AS w ON s.id = w.schedule_id
    WHERE
        s.org_id = claim_prewarm.org_id
        AND s.integration_type = claim_prewarm.integration_type
        AND s.enabled
        AND w.slot = claim_prewarm.slot
        AND w.slot > pg_catalog.now()
    ON CONFLICT ON CONSTRAINT prewarm_log_slot_key DO NOTHING;
    RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION runlog.claim_prewarm(uuid, text, timestamptz, text) IS
'True for the one worker that may pre-warm this slot; false for the rest, and for any slot that is not the pre-warm prewarm() planned for an enabled schedule, or is past.';
