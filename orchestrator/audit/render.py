"""Text renderings of trail records and review findings: JSON, CSV and a terminal table."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

CSV_COLUMNS = ("time", "id", "sourcesystem", "targetsystem", "actor", "user", "sourceuser", "action",
               "recordtype", "recordid", "changes", "reason", "source", "mapping", "correlationid",
               "causationid", "traceid", "receivedtime", "kind", "seq", "hash")


def value_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def changes_text(changes: list[dict[str, Any]]) -> str:
    """`status: quarantine -> released; qty: -> 5` (an empty old value is a creation)."""
    return "; ".join(f"{c.get('field')}: {value_text(c.get('old'))} -> {value_text(c.get('new'))}" for c in changes)


def to_json(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, indent=2, ensure_ascii=False)


def trail_csv(recs: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in recs:
        writer.writerow([changes_text(rec["changes"]) if col == "changes" else value_text(rec.get(col))
                         for col in CSV_COLUMNS])
    return out.getvalue()


def trail_table(recs: list[dict[str, Any]], title: str, console: Console | None = None) -> None:
    table = Table("time (UTC)", "system", "who", "action", "record", "changes", "reason", title=title)
    for rec in recs:
        who = rec["user"] or rec["sourceuser"] or rec["service"] or ""
        table.add_row(rec["time"][:19].replace("T", " "), rec["sourcesystem"], who, rec["action"],
                      f"{rec['recordtype']} {rec['recordid']}", changes_text(rec["changes"])[:160],
                      rec["reason"] or "")
    (console or Console()).print(table)


def review_table(findings: list[dict[str, Any]], batch: str, console: Console | None = None) -> None:
    console = console or Console()
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["category"]] = counts.get(finding["category"], 0) + 1
    summary = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in counts.items()) or "nothing to review"
    console.print(f"Review by exception for {batch}: {summary}")
    for category in counts:
        table = Table("time (UTC)", "system", "record", "detail", "id", title=category.replace("_", " "))
        for finding in (f for f in findings if f["category"] == category):
            table.add_row(finding["time"][:19].replace("T", " "), finding["sourcesystem"],
                          f"{finding['recordtype']} {finding['recordid']}", finding["detail"], finding["id"])
        console.print(table)
