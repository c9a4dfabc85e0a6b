CREATE OR REPLACE FUNCTION runlog.recent_alerts(after_id bigint DEFAULT NULL, max_alerts integer DEFAULT 100)
RETURNS SETOF runlog.alert_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF recent_alerts.max_alerts IS NULL OR recent_alerts.max_alerts NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_alerts must be between 1 and 1000, got %s', recent_alerts.max_alerts)
        );
    END IF;
    RETURN QUERY
    SELECT a.*
    FROM runlog.alert_log AS a
    WHERE
        CASE
            WHEN recent_alerts.after_id IS NULL THEN a.raised_at >= pg_catalog.now() - interval '1 minute'
            ELSE a.id > recent_alerts.after_id
        END
    ORDER BY a.id
    LIMIT recent_alerts.max_alerts;
END
$function$;

COMMENT ON FUNCTION runlog.recent_alerts(bigint, integer) IS
'The alerts (runlog.alert_log) after the alert after_id, oldest first; without after_id those of the last minute. Workers call it when NOTIFY runlog_alert wakes them, instead of trusting the payload.';
