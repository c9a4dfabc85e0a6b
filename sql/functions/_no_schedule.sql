CREATE OR REPLACE FUNCTION runlog._no_schedule(org_id uuid, integration_type text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION 'no schedule for % of organisation %',
        runlog._quote_value(_no_schedule.integration_type), _no_schedule.org_id
        USING ERRCODE = 'RL004';
END
$function$;

COMMENT ON FUNCTION runlog._no_schedule(uuid, text) IS
'Raises RL004: the organisation has no schedule for this integration.';
