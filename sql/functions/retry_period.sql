CREATE OR REPLACE FUNCTION runlog.retry_period(org_id uuid, idempotency_key text)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    latest runlog.sync_run_log;
    queued runlog.sync_run_log;
BEGIN
    PERFORM runlog._check_run_args(
        retry_period.org_id, 'period', 'manual', NULL, retry_period.idempotency_key
    );
    IF retry_period.idempotency_key IS NULL THEN
        PERFORM runlog._invalid('idempotency_key must not be NULL', 'A period is named by its idempotency key.');
    END IF;
    PERFORM runlog._require_org_access(retry_period.org_id);

    SELECT r.* INTO latest
    FROM runlog.sync_run_log AS r
    WHERE r.org_id = retry_period.org_id AND r.idempotency_key = retry_period.idempotency_key
    ORDER BY r.attempt DESC, r.id DESC
    LIMIT 1
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no period % in organisation %',
            runlog._quote_value(retry_period.idempotency_key), retry_period.org_id
            USING ERRCODE = 'RL004', HINT = 'pyrunlog periods --dead lists the dead periods.';
    END IF;
    IF latest.status IN ('queued', 'running', 'succeeded', 'partial') THEN
        RAISE EXCEPTION 'period % is not dead: its attempt % (run %) is %',
            runlog._quote_value(retry_period.idempotency_key), latest.attempt, latest.id, latest.status
            USING ERRCODE = 'RL003', HINT = 'Only a dead period (its last attempt failed, timed out or was cancelled) can be retried.';
    END IF;

    IF NOT runlog._caller_is_operator() THEN
        -- Like request_sync: a reader has one queued manual run per integration,
        -- and asking again returns it.
        queued := runlog._queued_manual_run(latest.org_id, latest.integration_type);
        IF queued.id IS NOT NULL THEN
            RETURN queued;
        END IF;
    END IF;

    -- A period run ahead under a slot's key may still be ahead of tick.
    PERFORM runlog._hold_slot_of_key(latest.org_id, latest.idempotency_key);
    -- Due now (run_after): it queues behind the runs already waiting, not at its old slot.
    INSERT INTO runlog.sync_run_log AS r (
        org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key,
        attempt, retry_of, counted_attempt, run_after
    )
    VALUES (
        latest.org_id, latest.integration_type, 'queued', 'manual', latest.scheduled_for,
        latest.idempotency_key, latest.attempt + 1, latest.id, 1, pg_catalog.now()
    )
    ON CONFLICT DO NOTHING
    RETURNING r.* INTO queued;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'period % was queued meanwhile', runlog._quote_value(retry_period.idempotency_key)
            USING ERRCODE = 'RL003';
    END IF;
    -- The payload names no organisation and no run, like request_sync's.
    PERFORM pg_catalog.pg_notify('runlog_queued', queued.integration_type);
    RETURN queued;
END
$function$;

COMMENT ON FUNCTION runlog.retry_period(uuid, text) IS
'Re-queues a dead period (org_id, idempotency_key) as its next attempt, due now (run_after: behind the runs already waiting), with a fresh retry budget and no next-slot limit; notifies workers. Admins for any organisation, readers for their own (like request_sync): while a manual run of that integration is queued, a reader gets that run back instead. RL004 when there is no such period, RL003 when it is not dead.';
