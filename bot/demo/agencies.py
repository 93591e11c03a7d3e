"""The other side of the demo: fictional agencies answering the bot's requests by email, the way
real ones do (a completed form, an out-of-office, a bounce from our own mail server)."""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
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
    """The request's form filled in as an agency would: an answer under each heading, the chronology
    table's blank rows filled (one more row added), the sign-off table completed."""
    doc = Document(io.BytesIO(form))
    answers = {
        "Involvement": "Yes",
        "Summary of involvement": f"{agency} was involved with Child A and the family during 2026; still open.",
        "Good practice": "Prompt information sharing with partners after the October attendance.",
        "Learning": "Professional curiosity about adults in the household could have been greater.",
        "Immediate actions taken": "Siblings' safety reviewed; staff briefing arranged.",
    }
    current = ""
    for para in doc.paragraphs:
        if para.style is not None and para.style.name.startswith("Heading"):
            current = para.text
        elif current in answers and not para.text.strip():
            para.text = answers.pop(current)
    for table in doc.tables:
        header = [c.text.strip().lower() for c in table.rows[0].cells]
        if header[:1] == ["date"] and "outcome" in header:
            rows = CHRONOLOGY.get(agency, [])
            while len(table.rows) - 1 < len(rows) + 1:
                table.add_row()
            for row, values in zip(table.rows[1:], rows, strict=False):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
        elif header[1:2] == ["name"] and len(table.rows) > 1 and table.rows[1].cells[0].text == "Author":
            author = table.rows[1].cells
            author[1].text, author[2].text, author[3].text = "Safeguarding Lead", f"{agency} lead", f"{signed:%d/%m/%Y}"
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
    # the same on every run of the demo (the crash harness compares runs): from what the reply is
    unique = hashlib.sha256(f"{sender} {at.isoformat()} {msg['Subject']} {text}".encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<{unique}@{sender.rpartition('@')[2]}>"
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


def referral_email(*, sender: str, mailbox: str, at: datetime, child: str, la_aware: date, incident: date) -> bytes:
    """A partner agency's serious incident referral: the shipped form, filled in, sent to the shared mailbox."""
    from bot.documents.examples import filled_referral

    msg = EmailMessage()
    msg["From"] = f"Safeguarding Lead <{sender}>"
    msg["To"] = mailbox
    msg["Subject"] = f"Serious incident referral: {child}"
    msg["Date"] = email.utils.format_datetime(at)
    msg["Message-ID"] = f"<referral-{hashlib.sha256(f'{sender} {at}'.encode()).hexdigest()[:20]}@" \
                        f"{sender.rpartition('@')[2]}>"
    msg.set_content("Please find attached our serious incident referral, agreed with our senior safeguarding "
                    "lead.\n\nSafeguarding lead")
    form = filled_referral(child=child, la_aware=f"{la_aware:%d/%m/%Y}", incident=f"{incident:%d/%m/%Y}",
                           agencies="POL, CSC, HLT, GP, EDU", domestic_abuse="yes", looked_after="no",
                           care_leaver="no", age="6")
    msg.add_attachment(form, maintype="application", subtype=DOCX_TYPE.split("/")[1],
                       filename="Serious incident referral.docx")
    return msg.as_bytes(policy=email.policy.SMTP)


def panel_reply(submission: OutboundMessage, *, sender: str, mailbox: str, at: datetime) -> bytes:
    """The Panel's reply to a rapid review report (in real life after about 10 working days)."""
    msg = _reply(submission, sender=sender, mailbox=mailbox, at=at,
                 text="Thank you for the rapid review. The Panel agrees with the partnership that a local child "
                      "safeguarding practice review is appropriate.\n\nChild Safeguarding Practice Review Panel")
    return msg.as_bytes(policy=email.policy.SMTP)
