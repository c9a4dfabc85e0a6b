CREATE OR REPLACE FUNCTION runlog.record_prewarm(
    org_id uuid,
    integration_type text,
    slot timestamptz,
    ok boolean,
    latency_ms integer DEFAULT null,
    error_message text DEFAULT null,
    worker_id text DEFAULT null
)
RETURNS runlog.prewarm_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    recorded runlog.prewarm_log;
BEGIN
    PERFORM runlog._check_run_args(
        record_prewarm.org_id, record_prewarm.integration_type, 'scheduler', record_prewarm.slot, NULL
    );
    IF record_prewarm.slot IS NULL OR record_prewarm.ok IS NULL THEN
        PERFORM runlog._invalid('slot and ok must not be NULL');
    END IF;
    IF record_prewarm.latency_ms < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('latency_ms must not be negative, got %s', record_prewarm.latency_ms)
        );
    END IF;
    INSERT INTO runlog.prewarm_log AS p (
        org_id, integration_type, slot, ok, latency_ms, error_message, worker_id
    )
    VALUES (
        record_prewarm.org_id, record_prewarm.integration_type, record_prewarm.slot,
        record_prewarm.ok, record_prewarm.latency_ms,
        pg_catalog.left(record_prewarm.error_message, 2000),
        pg_catalog.left(record_prewarm.worker_id, 200)
    )
    ON CONFLICT ON CONSTRAINT prewarm_log_slot_key DO UPDATE
        SET
            ok = excluded.ok,
            latency_ms = excluded.latency_ms,
            error_message = excluded.error_message,
            worker_id = coalesce(excluded.worker_id, p.worker_id),
            recorded_at = pg_catalog.now()
    RETURNING p.* INTO recorded;
    RETURN recorded;
END
$function$;

COMMENT ON FUNCTION runlog.record_prewarm(uuid, text, timestamptz, boolean, integer, text, text) IS
'Records the outcome of the pre-warm hook for a slot (ok, latency, error).';
