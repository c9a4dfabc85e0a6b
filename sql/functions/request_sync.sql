CREATE OR REPLACE FUNCTION runlog.request_sync(
    org_id uuid,
    integration_type text,
    triggered_by text DEFAULT 'manual',
    scheduled_for timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL
)
RETURNS runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    queued runlog.sync_run_log;
BEGIN
    PERFORM runlog._check_run_args(
        request_sync.org_id, request_sync.integration_type, request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    PERFORM runlog._require_org_access(request_sync.org_id);
    IF NOT runlog._caller_is_operator() THEN
        -- A tenant asks for "sync now": it chooses neither its place in the
        -- queue nor the trigger, and asking twice gives one run.
        IF request_sync.triggered_by <> 'manual' OR request_sync.scheduled_for IS NOT NULL THEN
            RAISE EXCEPTION 'readers request manual runs for now: triggered_by % and scheduled_for % are for operators',
                runlog._quote_value(request_sync.triggered_by),
                runlog._quote_value(request_sync.scheduled_for::text)
                USING ERRCODE = '42501',
                      HINT = 'Call request_sync(org_id, integration_type) without triggered_by and scheduled_for.';
        END IF;
        -- Only operators choose keys: a reader's key could be a scheduled
        -- slot's (runlog.slot_key), squatting it and stalling tick.
        IF request_sync.idempotency_key IS NOT NULL THEN
            RAISE EXCEPTION 'readers request manual runs without an idempotency key: keys are for operators'
                USING ERRCODE = '42501',
                      HINT = 'Call request_sync(org_id, integration_type); asking twice while the run is queued returns the same run.';
        END IF;
        -- A reader asks only for what its organisation syncs: integration
        -- types nobody schedules would queue runs no worker ever claims.
        IF NOT EXISTS (
            SELECT FROM runlog.sync_schedule AS s
            WHERE s.org_id = request_sync.org_id AND s.integration_type = request_sync.integration_type
        ) THEN
            RAISE EXCEPTION 'organisation % has no schedule for integration %',
                request_sync.org_id, runlog._quote_value(request_sync.integration_type)
                USING ERRCODE = '42501',
                      HINT = 'Readers request syncs of scheduled integrations only; an operator adds the schedule with runlog.set_schedule.';
        END IF;
        queued := runlog._queued_manual_run(request_sync.org_id, request_sync.integration_type);
        IF queued.id IS NOT NULL THEN
            RETURN queued;
        END IF;
    END IF;
    queued := runlog._insert_run(
        request_sync.org_id, request_sync.integration_type, 'queued', request_sync.triggered_by,
        request_sync.scheduled_for, request_sync.idempotency_key
    );
    -- The payload names no organisation and no run: workers claim from the table.
    PERFORM pg_catalog.pg_notify('runlog_queued', queued.integration_type);
    RETURN queued;
END
$function$;

COMMENT ON FUNCTION runlog.request_sync(uuid, text, text, timestamptz, text) IS
'Queues a run (status queued) and notifies workers on channel runlog_queued (payload: the integration type). Readers request for their own organisation only, manual runs only (no triggered_by, no scheduled_for, no idempotency key: 42501), of integrations their organisation has a schedule for (enabled or not; 42501 otherwise), and a request while a manual run of that integration is still queued returns that run instead of queueing another ("sync now" twice gives one sync). Operators may pass any trigger, slot and key. RL003 when the idempotency key is live.';
