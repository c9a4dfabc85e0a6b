"""docs/operations.md lists exactly the grants of sql/grants.sql."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRANT_ROW = re.compile(r"\('([^']+)',\s*(true|false),\s*(true|false),\s*(true|false)\)")
DOC_ROW = re.compile(r"^\| `(runlog\.[^`]+)` \| (yes|) *\| (yes|) *\| (yes|) *\|$", re.MULTILINE)


def grant_table() -> list[tuple[str, bool, bool, bool]]:
    text = (ROOT / "sql" / "grants.sql").read_text()
    return [
        (sig, reader == "true", worker == "true", admin == "true")
        for sig, reader, worker, admin in GRANT_ROW.findall(text)
    ]


def documented_grants() -> list[tuple[str, bool, bool, bool]]:
    text = (ROOT / "docs" / "operations.md").read_text()
    return [
        (sig, reader == "yes", worker == "yes", admin == "yes")
        for sig, reader, worker, admin in DOC_ROW.findall(text)
    ]


def render_grant_rows() -> str:
    """The Markdown rows docs/operations.md holds (paste them there after a change)."""
    mark = {True: "yes", False: ""}
    return "\n".join(
        f"| `{sig}` | {mark[r]} | {mark[w]} | {mark[a]} |" for sig, r, w, a in grant_table()
    )


def test_the_documented_grant_table_is_sql_grants() -> None:
    assert len(grant_table()) > 50, "sql/grants.sql could not be read"
    assert documented_grants() == grant_table(), (
        "docs/operations.md's grant table differs from sql/grants.sql; paste the output of "
        "`python -c 'from tests.test_grant_docs import render_grant_rows as r; print(r())'`"
    )
