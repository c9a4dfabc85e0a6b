CREATE OR REPLACE FUNCTION runlog._insert_run(
    org_id uuid,
    integration_type text,
    status text,
    triggered_by text,
    scheduled_for timestamptz,
    idempotency_key text
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    inserted runlog.sync_run_log;
    other_id bigint;
    other_status text;
BEGIN
    -- A chosen key may be a slot's key before tick enqueues that slot (an
    -- operator running a period ahead): hold that schedule's slot row.
    IF _insert_run.idempotency_key IS NOT NULL THEN
        PERFORM runlog._hold_slot_of_key(_insert_run.org_id, _insert_run.idempotency_key);
    END IF;
    FOR attempt IN 1..3 LOOP
        -- ON CONFLICT DO NOTHING covers both partial unique indexes without a
        -- subtransaction; the conflict is classified afterwards.
        INSERT INTO runlog.sync_run_log AS r (
            org_id, integration_type, status, triggered_by, scheduled_for,
            idempotency_key, started_at, heartbeat_at
        )
        VALUES (
            _insert_run.org_id, _insert_run.integration_type, _insert_run.status,
            _insert_run.triggered_by, _insert_run.scheduled_for, _insert_run.idempotency_key,
            CASE WHEN _insert_run.status = 'running' THEN pg_catalog.now() END,
            CASE WHEN _insert_run.status = 'running' THEN pg_catalog.now() END
        )
        ON CONFLICT DO NOTHING
        RETURNING r.* INTO inserted;
        IF FOUND THEN
            RETURN inserted;
        END IF;

        IF _insert_run.idempotency_key IS NOT NULL THEN
            SELECT r.id, r.status INTO other_id, other_status
            FROM runlog.sync_run_log AS r
            WHERE
                r.org_id = _insert_run.org_id
                AND r.idempotency_key = _insert_run.idempotency_key
                AND r.status IN ('queued', 'running', 'succeeded', 'partial');
            IF FOUND THEN
                RAISE EXCEPTION 'idempotency key % is already used by run % (%)',
                    runlog._quote_value(_insert_run.idempotency_key), other_id, other_status
                    USING ERRCODE = 'RL003',
                          HINT = 'A period runs once; only a failed, cancelled or timed-out period can run again.';
            END IF;
        END IF;
        SELECT r.id INTO other_id
        FROM runlog.sync_run_log AS r
        WHERE
            r.org_id = _insert_run.org_id
            AND r.integration_type = _insert_run.integration_type
            AND r.status = 'running';
        IF FOUND AND _insert_run.status = 'running' THEN
            RAISE EXCEPTION 'integration % of organisation % is already running (run %)',
                _insert_run.integration_type, _insert_run.org_id, other_id
                USING ERRCODE = 'RL001';
        END IF;
        -- The conflicting run ended between our insert and the look-up: retry.
    END LOOP;
    RAISE EXCEPTION 'run for % / % conflicted with runs that kept ending; retry',
        _insert_run.org_id, _insert_run.integration_type
        USING ERRCODE = '40001';
END
$function$;

COMMENT ON FUNCTION runlog._insert_run(uuid, text, text, text, timestamptz, text) IS
'Inserts a queued or running run; raises RL003 when the idempotency key is live, RL001 when the integration is already running.';
