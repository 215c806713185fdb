"""The validation report as a PDF, for the paper side of an approval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fpdf import FPDF

from orchestrator.audit.pdf import latin1, table

if TYPE_CHECKING:
    from validation.report import Report


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.cell(0, 6, f"gxplink validation report - page {self.page_no()}/{{nb}}", align="R")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)


def render_pdf(report: Report) -> bytes:
    pdf = _Pdf(orientation="L", format="A4")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_title("gxplink validation report")
    s = report.summary
    _heading(pdf, "gxplink validation report")
    pdf.multi_cell(0, 5, latin1(
        f"Generated {report.generated} (UTC), requirements version {report.requirements_version}. "
        f"{s['proven']} of {s['requirements']} requirements proven, {s['failed']} failed, {s['not proven']} not "
        f"proven; {s['tests passed']} of {s['tests']} linked tests passed (pytest exit {report.exitstatus})."),
        new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "1. Requirements not proven")
    pdf.multi_cell(0, 5, latin1("; ".join(f"{t.requirement.id} ({t.status})" for t in report.flagged)
                                 or "None: every requirement is proven by at least one passing test."),
                   new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "2. Traceability matrix")
    table(pdf, ["Requirement", "Risk", "References", "Tests (result)", "Status"],
          [[f"{t.requirement.id} {t.requirement.title}", t.requirement.risk, ", ".join(t.requirement.refs),
            "\n".join(f"{x.nodeid} ({x.outcome})" for x in t.tests) or "-", t.status] for t in report.traces],
          (60, 14, 36, 140, 20), line_height=4)
    _heading(pdf, "3. Installation qualification")
    inst = report.installation
    table(pdf, ["Item", "Value"], [
        ["Python", f"{inst.python} ({inst.executable})"], ["Platform", inst.platform],
        ["nats-server", "; ".join(f"{k}: {v}" for k, v in inst.nats_server.items())],
        ["Database", "; ".join(f"{k}: {v}" for k, v in inst.database.items())],
        *[[k, v] for k, v in inst.configuration.items()]], (50, 220), line_height=4)
    table(pdf, ["Package", "Version", "sha256 of RECORD"],
          [[p.name, p.version, p.record_sha256] for p in inst.packages], (60, 30, 180), line_height=4)
    _heading(pdf, "4. Operational qualification")
    run = report.run
    pdf.multi_cell(0, 5, latin1(f"Run {run.started} to {run.finished} on {run.host} by {run.user}: {run.command}"),
                   new_x="LMARGIN", new_y="NEXT")
    table(pdf, ["Test", "Requirements", "Result", "s"],
          [[x.nodeid, ", ".join(x.requirements), x.outcome, f"{x.duration:.2f}"] for x in report.tests],
           (170, 50, 30, 20), line_height=4)
    _heading(pdf, "5. Approval")
    pdf.multi_cell(0, 5, "The sha256 of this file is in <report>.sha256; `gxplink validate sign` binds an "
                         "electronic signature to it (<report>.signature.json).", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
