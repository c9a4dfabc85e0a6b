CREATE OR REPLACE FUNCTION runlog._check_time_zone(time_zone text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- IANA-shaped names only: a POSIX spec such as UTC+3 means UTC-3 and
    -- surprises everyone. (pg_timezone_names would be exact but reads the
    -- zone files on every call.)
    IF _check_time_zone.time_zone ~ '^[A-Za-z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+)*$' THEN
        BEGIN
            PERFORM pg_catalog.now() AT TIME ZONE _check_time_zone.time_zone;
            RETURN;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;  -- unknown to PostgreSQL: report below
        END;
    END IF;
    PERFORM runlog._invalid(
        pg_catalog.format('unknown time zone %s', runlog._quote_value(_check_time_zone.time_zone)),
        'Use an IANA zone name such as UTC or Europe/Oslo.'
    );
END
$function$;

COMMENT ON FUNCTION runlog._check_time_zone(text) IS
'Raises 22023 unless the name is an IANA-style time zone name PostgreSQL knows (UTC, Europe/Oslo, Etc/GMT+3); POSIX specs such as UTC+3 are refused.';
