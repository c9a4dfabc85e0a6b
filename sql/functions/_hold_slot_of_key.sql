CREATE OR REPLACE FUNCTION runlog._hold_slot_of_key(org_id uuid, idempotency_key text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
-- A run inserted with a slot's key (org/integration/slot, see slot_key) before
-- tick enqueues that slot would make tick's set-based INSERT wait for this
-- transaction, and every other organisation's slots with it. Holding the
-- schedule's slot row (FOR SHARE) until this transaction ends makes tick skip
-- that one schedule in its set-based statement and wait for it alone.
-- Keys of any other shape, and keys of slots tick already passed (a retried
-- past period), lock nothing.
BEGIN
    PERFORM FROM runlog.schedule_slot AS n
    INNER JOIN runlog.sync_schedule AS s ON n.schedule_id = s.id
    WHERE
        s.org_id = _hold_slot_of_key.org_id
        AND pg_catalog.starts_with(
            _hold_slot_of_key.idempotency_key, s.org_id::text || '/' || s.integration_type || '/'
        )
        -- the slot part is fixed-width UTC: byte order is time order
        AND _hold_slot_of_key.idempotency_key COLLATE "C"
        >= runlog.slot_key(s.org_id, s.integration_type, n.next_slot) COLLATE "C"
    FOR SHARE OF n;
EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION 'the schedule whose slot key % names is being changed or enqueued',
        runlog._quote_value(_hold_slot_of_key.idempotency_key)
        USING ERRCODE = 'lock_not_available',
              HINT = 'An open schedule edit, a tick or an automatic pause of that schedule holds it; retry when it ends.';
END
$function$;

COMMENT ON FUNCTION runlog._hold_slot_of_key(uuid, text) IS
'Locks (FOR SHARE, until the transaction ends) the slot row of the schedule whose slot key idempotency_key has the shape of, when that slot is not behind the schedule''s next slot, so tick skips that schedule instead of waiting for the key; nothing for other keys.';
