CREATE OR REPLACE FUNCTION runlog._check_run_args(
    org_id uuid,
    integration_type text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _check_run_args.org_id IS NULL THEN
        PERFORM runlog._invalid('org_id must not be NULL');
    END IF;
    IF _check_run_args.integration_type IS NULL
        OR _check_run_args.integration_type !~ '^[a-z][a-z0-9_]{0,63}$' THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid integration_type %s',
                runlog._quote_value(_check_run_args.integration_type)
            ),
            'integration_type is lower snake case, 1 to 64 characters, starting with a letter.'
        );
    END IF;
    IF _check_run_args.triggered_by IS NULL
        OR _check_run_args.triggered_by NOT IN ('scheduler', 'manual') THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid triggered_by %s',
                runlog._quote_value(_check_run_args.triggered_by)
            ),
            'triggered_by is scheduler or manual.'
        );
    END IF;
    IF NOT pg_catalog.isfinite(_check_run_args.scheduled_for) THEN
        PERFORM runlog._invalid('scheduled_for must be a finite timestamp');
    END IF;
    IF pg_catalog.char_length(_check_run_args.idempotency_key) NOT BETWEEN 1 AND 255 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'invalid idempotency_key %s',
                runlog._quote_value(_check_run_args.idempotency_key)
            ),
            'idempotency_key is 1 to 255 characters, or NULL.'
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_run_args(uuid, text, text, timestamptz, text) IS
'Validates the arguments of start_run and request_sync; raises 22023 naming the bad value.';
