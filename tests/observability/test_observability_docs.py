"""docs/observability.md lists exactly the metrics the code serves."""

from __future__ import annotations

from pathlib import Path

from pyrunlog.observability.catalog import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "observability.md"


def test_the_metric_list_in_the_docs_is_generated_from_the_catalogue() -> None:
    text = DOC.read_text()
    begin, end = "<!-- metrics:begin -->\n", "<!-- metrics:end -->"
    listed = text[text.index(begin) + len(begin) : text.index(end)]
    assert listed == markdown_table(), (
        "docs/observability.md is stale: paste `python -m pyrunlog.observability.catalog`"
        " between the metrics markers"
    )
