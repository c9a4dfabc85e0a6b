CREATE OR REPLACE FUNCTION runlog._period_succeeded(org_id uuid, integration_type text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    UPDATE runlog.sync_schedule AS s
    SET dead_periods_in_row = 0, last_success_at = pg_catalog.now()
    WHERE s.org_id = _period_succeeded.org_id AND s.integration_type = _period_succeeded.integration_type;
END
$function$;

COMMENT ON FUNCTION runlog._period_succeeded(uuid, text) IS
'A run of the integration succeeded: resets the auto-pause counters of its schedule.';
