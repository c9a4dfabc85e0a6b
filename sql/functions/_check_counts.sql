CREATE OR REPLACE FUNCTION runlog._check_counts(records_processed bigint, records_failed bigint)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _check_counts.records_processed < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'records_processed must not be negative, got %s',
                _check_counts.records_processed
            )
        );
    END IF;
    IF _check_counts.records_failed < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format(
                'records_failed must not be negative, got %s', _check_counts.records_failed
            )
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._check_counts(bigint, bigint) IS
'Raises 22023 when a record count is negative; NULL counts pass (they keep the stored value).';
