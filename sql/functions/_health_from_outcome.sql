CREATE OR REPLACE FUNCTION runlog._health_from_outcome()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    old_state text;
    new_state text := CASE WHEN new.status IN ('succeeded', 'partial') THEN 'healthy' ELSE 'unhealthy' END;
BEGIN
    IF runlog.health_mode_of(new.org_id, new.integration_type) = 'disabled' THEN
        RETURN NULL;
    END IF;
    SELECT h.state INTO old_state
    FROM runlog.integration_health AS h
    WHERE h.org_id = new.org_id AND h.integration_type = new.integration_type
    FOR UPDATE;
    INSERT INTO runlog.integration_health AS h (
        org_id, integration_type, state, based_on, last_error, updated_at
    )
    VALUES (
        new.org_id, new.integration_type, new_state, 'sync_outcome',
        CASE WHEN new_state = 'unhealthy' THEN new.error_message END, pg_catalog.now()
    )
    ON CONFLICT (org_id, integration_type) DO UPDATE
        SET
            state = excluded.state,
            based_on = 'sync_outcome',
            last_error = coalesce(excluded.last_error, h.last_error),
            updated_at = pg_catalog.now();
    PERFORM runlog._notify_health(
        new.org_id, new.integration_type, old_state, new_state, 'sync_outcome', new.error_message
    );
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._health_from_outcome() IS
'Trigger: a scheduled run that ends failed or timed_out makes its integration unhealthy; succeeded or partial makes it healthy (unless health is disabled for it).';
