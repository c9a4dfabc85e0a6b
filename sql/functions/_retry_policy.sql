CREATE OR REPLACE FUNCTION runlog._retry_policy(org_id uuid, integration_type text)
RETURNS runlog.retry_policy
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    policy runlog.retry_policy;
BEGIN
    -- plpgsql, not sql: a sql function with SET is planned on every call
    SELECT p.* INTO policy
    FROM runlog.retry_policy AS p
    WHERE
        (
            p.integration_type = _retry_policy.integration_type
            AND (p.org_id = _retry_policy.org_id OR p.org_id IS NULL)
        )
        OR p.integration_type = '*'
    ORDER BY p.org_id IS NULL, p.integration_type = '*'
    LIMIT 1;
    IF NOT FOUND THEN
        -- the '*' row was deleted: the documented defaults
        policy := ROW(
            '*', NULL, 4, interval '30 seconds', 3, interval '30 minutes', 0.1, interval '1 hour',
            '{auth_error,config_error}'::text [], false, pg_catalog.now()
        )::runlog.retry_policy;
    END IF;
    RETURN policy;
END
$function$;

COMMENT ON FUNCTION runlog._retry_policy(uuid, text) IS
'The retry policy of an organisation''s integration: its override, else its integration type''s row, else the ''*'' row (else the built-in defaults).';
