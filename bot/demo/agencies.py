"""The other side of the demo: fictional agencies answering the bot's requests by email, the way
real ones do (a completed form, an out-of-office, a bounce from our own mail server)."""

from __future__ import annotations

import email.policy
import email.utils
import io
from datetime import date, datetime
from email.message import EmailMessage

from docx import Document

from bot.documents.render import DOCX_TYPE
from bot.ports import OutboundMessage

CHRONOLOGY = {
    "POL": [("14/11/2026", "Domestic incident call-out", "Response officer", "DASH risk assessment: medium"),
            ("03/12/2026", "Welfare check", "Neighbourhood officer", "No concerns recorded")],
    "CSC": [("02/10/2026", "Referral from school", "Social worker", "Assessment opened"),
            ("20/11/2026", "Child and family assessment", "Social worker", "Child in need plan")],
    "HLT": [("9 Sep 2026", "Health visitor contact", "Health visitor", "Missed appointment followed up"),
            ("28th October 2026", "Emergency department attendance", "ED nurse", "Safeguarding referral")],
    "GP": [("15/07/2026", "GP appointment", "GP", "Routine; no concerns noted")],
}


def completed_form(form: bytes, agency: str, signed: date) -> bytes:
    """The request's form filled in as an agency would: answers under each heading, chronology rows."""
    doc = Document(io.BytesIO(form))
    answers = {
        "Involvement": "Yes",
        "Summary of involvement": f"{agency} was involved with Child A and the family during 2026; the case is open.",
        "Good practice": "Prompt information sharing with partners after the October attendance.",
        "Learning": "Professional curiosity about adults in the household could have been greater.",
        "Immediate actions taken": "Siblings' safety reviewed; staff briefing arranged.",
        "Author and manager sign-off": f"Safeguarding lead, {agency}; countersigned {signed:%d/%m/%Y}",
    }
    paragraphs = list(doc.paragraphs)
    for i, para in enumerate(paragraphs):
        heading = para.style is not None and para.style.name.startswith("Heading")
        if heading and para.text in answers and i + 1 < len(paragraphs):
            paragraphs[i + 1].text = answers[para.text]
        if para.text == "Chronology":
            table = doc.add_table(rows=1, cols=4)
            for cell, title in zip(table.rows[0].cells, ("Date", "Contact or event", "Role", "Outcome"), strict=True):
                cell.text = title
            for row in CHRONOLOGY.get(agency, []):
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = value
            paragraphs[i + 1]._p.addnext(table._tbl)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _reply(request: OutboundMessage, *, sender: str, mailbox: str, at: datetime, text: str,
           subject: str | None = None, headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Safeguarding Lead <{sender}>"
    msg["To"] = mailbox
    msg["Subject"] = subject or f"RE: {request.subject}"
    msg["Date"] = email.utils.format_datetime(at)
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    if request.message_id:
        msg["In-Reply-To"] = request.message_id
        msg["References"] = request.message_id
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text)
    return msg


def return_email(request: OutboundMessage, *, sender: str, mailbox: str, at: datetime, agency: str) -> bytes:
    form = next(a for a in request.attachments if a.name.endswith(".docx"))
    msg = _reply(request, sender=sender, mailbox=mailbox, at=at,
                 text="Please find our completed information return attached.\n\nSafeguarding lead")
    msg.add_attachment(completed_form(form.data, agency, at.date()), maintype="application",
                       subtype=DOCX_TYPE.split("/")[1], filename=f"{agency} return - completed.docx")
    return msg.as_bytes(policy=email.policy.SMTP)


def out_of_office(request: OutboundMessage, *, sender: str, mailbox: str, at: datetime) -> bytes:
    msg = _reply(request, sender=sender, mailbox=mailbox, at=at, subject=f"Automatic reply: {request.subject}",
                 text="I am out of the office until 11 January with no access to email.",
                 headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})
    return msg.as_bytes(policy=email.policy.SMTP)


def bounce(request: OutboundMessage, *, postmaster: str, mailbox: str, at: datetime) -> bytes:
    msg = _reply(request, sender=postmaster, mailbox=mailbox, at=at, subject=f"Undeliverable: {request.subject}",
                 text=f"Delivery has failed to these recipients: {', '.join(request.to)}\n"
                      "The email address couldn't be found.")
    return msg.as_bytes(policy=email.policy.SMTP)
