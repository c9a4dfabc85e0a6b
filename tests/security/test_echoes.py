"""Errors quote at most 200 characters of what the caller sent."""

from __future__ import annotations

import psycopg
import pytest

from tests.security.conftest import HOME

LONG = "Q" * 5000
LONG_ITEM = "1," * 2000 + "Q" * 3000

CALLS = [
    ("SELECT runlog.parse_cron(%s)", [LONG]),
    ("SELECT runlog.parse_cron(%s)", [f"{LONG_ITEM} * * * *"]),
    ("SELECT runlog.parse_cron(%s)", [f"*/{LONG} * * * *"]),
    ("SELECT runlog.parse_cron(%s)", [f"1-{LONG} * * * *"]),
    ("SELECT runlog.next_slots('* * * * *', %s)", [LONG]),
    ("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *', %s)", [HOME, LONG]),
    ("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *', 'UTC', %s)", [HOME, LONG]),
    ("SELECT runlog.set_schedule(%s, %s, '* * * * *')", [HOME, LONG]),
    ("SELECT runlog.request_sync(%s, %s)", [HOME, LONG]),
    ("SELECT runlog.request_sync(%s, 'xledger', %s)", [HOME, LONG]),
    ("SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL, %s)", [HOME, LONG]),
    ("SELECT runlog.start_run(%s, %s)", [HOME, LONG]),
    ("SELECT runlog.set_health_mode(%s, 'active')", [LONG]),
    ("SELECT runlog.set_health_mode('xledger', %s)", [LONG]),
    ("SELECT runlog.claim_next(%s)", [LONG]),
    ("SELECT runlog.finish_run(1, %s)", [LONG]),
    ("SELECT runlog.cancel_run(1, %s)", [LONG]),
    ("SELECT runlog.bind_login(%s, %s)", [LONG, HOME]),
    (
        "SELECT set_config('request.jwt.claims', %s, false), runlog.current_org_id()",
        ['{"org_id": "' + LONG + '"}'],
    ),
]


def full_text(error: psycopg.Error) -> str:
    diag = error.diag
    return " ".join(
        part or "" for part in (diag.message_primary, diag.message_detail, diag.message_hint)
    )


@pytest.mark.parametrize(("sql", "params"), CALLS, ids=[f"{i}" for i in range(len(CALLS))])
def test_an_error_quotes_at_most_200_characters_of_the_input(
    admin_dsn: str, sql: str, params: list[object]
) -> None:
    with (
        psycopg.connect(admin_dsn, autocommit=True) as admin,
        pytest.raises(psycopg.Error) as info,
    ):
        admin.execute(sql, params)
    text = full_text(info.value)
    assert "Q" * 201 not in text, f"{sql}: {len(text)} characters: {text[:300]}..."
    assert text.count("Q") <= 200, f"{sql} quotes {text.count('Q')} characters of the input"
    assert len(text) < 1000, text[:300]


def test_a_bad_claim_is_echoed_as_briefly_as_any_other_value(reader_dsn: str) -> None:
    """current_org_id quotes a claim through _quote_value: 80 characters, then its length."""
    claim = '{"org_id": "' + "Q" * 3000 + '"}'
    with psycopg.connect(reader_dsn, autocommit=True) as reader:
        reader.execute("SELECT set_config('request.jwt.claims', %s, false)", [claim])
        with pytest.raises(psycopg.Error) as info:
            reader.execute("SELECT runlog.current_org_id()")
    detail = info.value.diag.message_detail or ""
    assert detail.count("Q") == 80 - len('{"org_id": "'), detail
    assert f"({len(claim)} characters)" in detail
