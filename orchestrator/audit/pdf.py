"""The trail as a PDF for auditors, with the signature manifestations Part 11 §11.50 requires.

Every signature in the trail is printed with the signer's printed name, the date and time, and the
meaning (authored, reviewed, approved, released...), next to the record it signs; the records follow
in time order with their hashes, so a printed page can be checked against `gxplink audit verify`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from orchestrator.audit.render import changes_text


def latin1(text: Any) -> str:
    """The PDF core fonts are Latin-1: anything else prints as '?', never fails the report."""
    return str("" if text is None else text).encode("latin-1", "replace").decode("latin-1")


def signatures(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Signature manifestations found in the trail: signer name, time, meaning, signed record."""
    found = []
    for rec in recs:
        new = {c.get("field"): c.get("new") for c in rec["changes"]}
        if rec["recordtype"] == "signature" and new.get("signer_name"):
            found.append({"signer": new["signer_name"], "signer_id": new.get("signer_id"),
                          "time": new.get("signed_at") or rec["time"], "meaning": new.get("meaning"),
                          "record": f"{new.get('record_type', '')} {new.get('record_id', '')}".strip(),
                          "reason": new.get("reason"), "id": rec["id"]})
    return found


class _Report(FPDF):
    title_text = ""

    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 6, latin1(self.title_text), new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(0, 6, f"page {self.page_no()}/{{nb}}", align="R")


def write_pdf(recs: list[dict[str, Any]], path: Path, *, subject: str, verified: str | None = None) -> Path:
    pdf = _Report(orientation="L", format="A4")
    pdf.title_text = f"gxplink audit trail - {subject}"
    pdf.set_title(latin1(pdf.title_text))
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "", 9)
    lines = [f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} for {subject}: {len(recs)} records.",
             verified or "", f"Last record hash: {recs[-1]['hash']}" if recs else ""]
    for line in filter(None, lines):
        pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    _section(pdf, "Electronic signatures (21 CFR 11.50: printed name, date and time, meaning)")
    sigs = signatures(recs)
    rows = [[s["signer"], s["signer_id"], s["time"], s["meaning"], s["record"], s["reason"]] for s in sigs]
    table(pdf, ["Signer (printed name)", "User id", "Signed at (UTC)", "Meaning", "Record signed", "Reason"],
           rows or [["no signatures in this trail", "", "", "", "", ""]], (40, 22, 38, 22, 50, 105))
    _section(pdf, "Records in time order")
    rows = [[r["time"][:19].replace("T", " "), r["sourcesystem"], r["user"] or r["sourceuser"] or r["service"],
             r["action"], f"{r['recordtype']} {r['recordid']}", changes_text(r["changes"])[:300], r["reason"],
             r["hash"][:12]] for r in recs]
    table(pdf, ["Time (UTC)", "System", "Who", "Action", "Record", "Changes (old -> new)", "Reason", "Hash"],
           rows, (30, 15, 26, 26, 45, 75, 42, 18))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7)


def table(pdf: FPDF, head: list[str], rows: list[list[Any]], widths: tuple[int, ...],
          line_height: float = 3.6) -> None:
    """A table with a bold heading row; every cell Latin-1 safe."""
    with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"), line_height=line_height,
                   text_align="LEFT", width=sum(widths)) as table:
        heading = table.row()
        for name in head:
            heading.cell(latin1(name))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(latin1(value))
