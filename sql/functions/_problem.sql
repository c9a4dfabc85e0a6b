CREATE OR REPLACE FUNCTION runlog._problem(message text, hint text, sqlstate text DEFAULT '22023')
RETURNS runlog.problem
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT ROW(sqlstate, message, hint)::runlog.problem;
$function$;

COMMENT ON FUNCTION runlog._problem(text, text, text) IS
'A documented error for the public function to raise: message, hint and SQLSTATE (22023 unless given).';
