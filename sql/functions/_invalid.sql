CREATE OR REPLACE FUNCTION runlog._invalid(message text, hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF _invalid.hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = _invalid.message;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = _invalid.message, HINT = _invalid.hint;
END
$function$;

COMMENT ON FUNCTION runlog._invalid(text, text) IS
'Raises the invalid-argument error (SQLSTATE 22023) with this message.';
