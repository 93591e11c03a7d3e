"""Odd real-world messages as raw RFC 5322 bytes, each with the ingest outcome it should get on the in-memory app
after a rapid review for REF has sent its requests to the police and health (see test_corpus.py).

Written out by hand rather than with EmailMessage, which would tidy away exactly the oddities they carry.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from bot.domain.correlation import message_id_for, token_for
from bot.handlers.start_rapid_review import request_key
from tests.hostile_docs import docm, png, valid_docx

REF = "RR-2027-003"
DOMAIN = "northshire-scp.example"  # the bot's own mail domain (config/cspr-bot.toml)
BOT = f"cspr-bot@{DOMAIN}"
POLICE = "safeguarding.reviews@northshire-police.example"
PANEL = "review-panel@national-panel.example"
EXCHANGE = f"MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{DOMAIN}"
TOKEN = token_for(REF, "POL")
REQUEST_ID = message_id_for(request_key(REF, "POL"), DOMAIN)  # the Message-ID of the request to the police
SUBJECT = f"OFFICIAL-SENSITIVE: Rapid review information request: {REF} (Child A) {TOKEN}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DATE = "Thu, 07 Jan 2027 10:00:00 +0000"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
NIL = "We have checked our systems and have had no involvement with this child or family."

Case = tuple[str, bytes, str]


def _message(headers: list[tuple[str, str]], body: bytes | str, *, eol: bytes = b"\r\n") -> bytes:
    """Header lines as given (no folding, no encoding), a blank line, then the body."""
    head = eol.join(f"{name}: {value}".encode() for name, value in headers)
    data = body.encode() if isinstance(body, str) else body
    return head + eol + eol + data.replace(b"\r\n", b"\n").replace(b"\n", eol)


def _reply_headers(*, sender: str = POLICE, subject: str | None = f"RE: {SUBJECT}", message_id: str | None = None,
                   date: str | None = DATE, content_type: str | None = None) -> list[tuple[str, str]]:
    headers = [("From", sender)] if sender else []
    headers.append(("To", BOT))
    if subject is not None:
        headers.append(("Subject", subject))
    if date is not None:
        headers.append(("Date", date))
    if message_id is not None:
        headers.append(("Message-ID", message_id))
    headers.append(("MIME-Version", "1.0"))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return headers


def _b64(data: bytes) -> str:
    return "\n".join(base64.encodebytes(data).decode().split())


def _attachment(name: str, content_type: str, data: bytes) -> str:
    return (f'Content-Type: {content_type}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
            f"Content-Transfer-Encoding: base64\n\n{_b64(data)}\n")


def alternative_nil_return() -> Case:
    body = ("--alt\nContent-Type: text/plain; charset=utf-8\n\n" + NIL + "\n--alt\n"
            "Content-Type: text/html; charset=utf-8\n\n<p>" + NIL + "</p>\n--alt--\n")
    return "multipart/alternative nil return", _message(_reply_headers(
        message_id="<alt-1@northshire-police.example>", content_type='multipart/alternative; boundary="alt"'),
        body), "nil_return"


def mixed_with_docx() -> Case:
    body = ("--mix\nContent-Type: text/plain; charset=utf-8\n\nPlease find our return attached.\n--mix\n"
            + _attachment("Police return.docx", DOCX, valid_docx()) + "--mix--\n")
    return "multipart/mixed with a Word return", _message(_reply_headers(
        message_id="<mix-1@northshire-police.example>", content_type='multipart/mixed; boundary="mix"'),
        body), "agency_return"


def nested_related_with_pdf() -> Case:
    """Outlook's shape: mixed( alternative( plain, related( html, inline image ) ), pdf )."""
    body = ("--m\nContent-Type: multipart/alternative; boundary=\"a\"\n\n"
            "--a\nContent-Type: text/plain; charset=utf-8\n\nOur return is attached.\n"
            "--a\nContent-Type: multipart/related; boundary=\"r\"; type=\"text/html\"\n\n"
            "--r\nContent-Type: text/html; charset=utf-8\n\n<p>Our return is attached.<img src=\"cid:logo\"></p>\n"
            "--r\nContent-Type: image/png\nContent-ID: <logo>\nContent-Disposition: inline; filename=\"logo.png\"\n"
            f"Content-Transfer-Encoding: base64\n\n{_b64(png())}\n--r--\n--a--\n"
            "--m\n" + _attachment("return.pdf", "application/pdf", PDF)
            + "--m--\n")
    return "nested multipart/related with a PDF return", _message(_reply_headers(
        message_id="<nested-1@northshire-police.example>", content_type='multipart/mixed; boundary="m"'),
        body), "agency_return"


def html_only_script_says_nil() -> Case:
    """The only words saying 'nil return' are in a script and a style: they are not the sender's text."""
    html = ("<html><head><style>.x:after{content:'nil return'}</style><script>var s='no involvement';</script>"
            "</head><body><p>Can we have another week please?</p><script>alert('nil return')</script></body></html>")
    return "HTML-only body, nil wording only in script and style", _message(_reply_headers(
        message_id="<html-1@northshire-police.example>", content_type="text/html; charset=utf-8"),
        html), "needs_attention"


def html_only_nil() -> Case:
    html = (f"<html><head><style>p {{color: red}}</style><script>document.write('x')</script></head>"
            f"<body><div>Dear colleague,</div><p>{NIL}</p></body></html>")
    return "HTML-only body with a nil return", _message(_reply_headers(
        message_id="<html-2@northshire-police.example>", content_type="text/html; charset=utf-8"),
        html), "nil_return"


def windows_1252() -> Case:
    subject = "=?windows-1252?q?RE:_Re=E7u_=96_?= " + f"{TOKEN}"
    body = "We\x92ve searched \x96 \x93no involvement\x94 with the family, cost \xa30.".encode("latin-1")
    return "windows-1252 subject and body", _message(_reply_headers(
        subject=subject, message_id="<cp1252@northshire-police.example>",
        content_type="text/plain; charset=windows-1252") + [("Content-Transfer-Encoding", "8bit")],
        body), "nil_return"


def iso_8859_1() -> Case:
    subject = f"=?iso-8859-1?q?R=E9ponse_=E0_votre_demande?= {TOKEN}"
    body = "Caf\xe9 notes: no record of the child is held. \xa9 Northshire".encode("latin-1")
    return "iso-8859-1 subject and body", _message(_reply_headers(
        subject=subject, message_id="<latin1@northshire-police.example>",
        content_type="text/plain; charset=iso-8859-1") + [("Content-Transfer-Encoding", "8bit")],
        body), "nil_return"


def shift_jis() -> Case:
    encoded = base64.b64encode("返信: 情報提供依頼".encode("shift_jis")).decode()
    body = "ご依頼の件、確認中です。".encode("shift_jis")
    return "shift_jis subject and body", _message(_reply_headers(
        subject=f"=?shift_jis?b?{encoded}?= {TOKEN}", message_id="<sjis@northshire-police.example>",
        content_type="text/plain; charset=shift_jis") + [("Content-Transfer-Encoding", "8bit")],
        body), "needs_attention"


def undeclared_8bit() -> Case:
    """No Content-Type, no transfer encoding, latin-1 bytes in the body."""
    body = "Caf\xe9 de la gare: no trace of the family on our systems.".encode("latin-1")
    return "undeclared 8-bit body", _message(_reply_headers(
        message_id="<8bit@northshire-police.example>"), body), "nil_return"


def missing_from() -> Case:
    return "no From header", _message(_reply_headers(sender="", message_id="<nofrom@northshire-police.example>"),
                                      NIL), "needs_attention"


def missing_subject() -> Case:
    """No Subject; the reply headers still point at the request."""
    headers = _reply_headers(subject=None, message_id="<nosubj@northshire-police.example>",
                             content_type='multipart/mixed; boundary="b"')
    headers += [("In-Reply-To", REQUEST_ID), ("References", REQUEST_ID)]
    body = "--b\nContent-Type: text/plain\n\nAttached.\n--b\n" + _attachment("r.pdf", "application/pdf",
                                                                               b"%PDF-1.4\n") + "--b--\n"
    return "no Subject header, matched by In-Reply-To", _message(headers, body), "agency_return"


def missing_date() -> Case:
    return "no Date header", _message(_reply_headers(date=None, message_id="<nodate@northshire-police.example>"),
                                      NIL), "nil_return"


def bad_date() -> Case:
    return "unreadable Date header", _message(_reply_headers(
        date="Thursday, the seventh, 99:99", message_id="<baddate@northshire-police.example>"), NIL), "nil_return"


def missing_message_id() -> Case:
    return "no Message-ID header", _message(_reply_headers(), NIL), "nil_return"


def bare_headers_only() -> Case:
    return "no headers at all", b"\r\njust a body\r\n", "needs_attention"


def empty() -> Case:
    return "empty message", b"", "needs_attention"


def huge_subject() -> Case:
    """A 100 KB Subject with the token at its end."""
    subject = "RE: " + "very long subject " * 5600 + str(TOKEN)
    return "100 KB Subject header", _message(_reply_headers(
        subject=subject, message_id="<huge@northshire-police.example>"), NIL), "nil_return"


def many_received() -> Case:
    received = [("Received", f"from relay{n}.example ([10.0.{n // 256}.{n % 256}]) by relay{n + 1}.example with "
                             f"ESMTPS id {n:08x}; Thu, 7 Jan 2027 09:{n % 60:02d}:00 +0000") for n in range(500)]
    return "500 Received lines", _message(received + _reply_headers(message_id="<hops@northshire-police.example>"),
                                          NIL), "nil_return"


def tnef_without_token() -> Case:
    """Outlook's rich-text wrapper: the real attachment is inside winmail.dat, which the bot cannot read."""
    tnef = b"\x78\x9f\x3e\x22" + bytes(range(256)) * 4
    body = ("--t\nContent-Type: text/plain\n\nSee attached.\n--t\n"
            + _attachment("winmail.dat", "application/ms-tnef", tnef) + "--t--\n")
    return "TNEF winmail.dat, no token", _message(_reply_headers(
        subject="Information request", message_id="<tnef@northshire-police.example>",
        content_type='multipart/mixed; boundary="t"'), body), "needs_attention"


def tnef_with_token() -> Case:
    name, raw, _ = tnef_without_token()
    raw = raw.replace(b"Subject: Information request", f"Subject: RE: {SUBJECT}".encode())
    raw = raw.replace(b"<tnef@", b"<tnef2@")
    return "TNEF winmail.dat with the token", raw, "needs_attention"


def calendar_invite() -> Case:
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\nBEGIN:VEVENT\n"
           "UID:040000008200E00074C5B7101A82E008\nSUMMARY:Rapid review meeting\nDTSTART:20270112T100000Z\n"
           f"DTEND:20270112T110000Z\nORGANIZER:mailto:{POLICE}\nEND:VEVENT\nEND:VCALENDAR\n")
    body = ("--c\nContent-Type: text/plain; charset=utf-8\n\nRapid review meeting\n--c\n"
            "Content-Type: text/calendar; charset=utf-8; method=REQUEST\n\n" + ics + "--c--\n")
    return "calendar invite (text/calendar method=REQUEST)", _message(_reply_headers(
        subject="Rapid review meeting", message_id="<invite@northshire-police.example>",
        content_type='multipart/alternative; boundary="c"'), body), "needs_attention"


def _read_receipt(subject: str, message_id: str) -> bytes:
    body = ("--rr\nContent-Type: text/plain\n\nYour message was read on Thursday, 7 January 2027 10:00.\n--rr\n"
            f"Content-Type: message/disposition-notification\n\nReporting-UA: Outlook\nFinal-Recipient: rfc822;"
            f"{POLICE}\nOriginal-Message-ID: {REQUEST_ID}\nDisposition: manual-action/MDN-sent-manually; displayed\n"
            "--rr--\n")
    return _message(_reply_headers(
        subject=subject, message_id=message_id,
        content_type='multipart/report; report-type=disposition-notification; boundary="rr"'), body)


def read_receipt_without_token() -> Case:
    return "read receipt, no token", _read_receipt("Read: Information request", "<read1@northshire-police.example>"),\
        "needs_attention"


def read_receipt_with_token() -> Case:
    return "read receipt with the token", _read_receipt(f"Read: {SUBJECT}", "<read2@northshire-police.example>"), \
        "needs_attention"


def _dsn(subject: str, action: str, status: str, message_id: str) -> bytes:
    body = ("--ndr\nContent-Type: text/plain; charset=us-ascii\n\n"
            f"Delivery has failed to these recipients or groups:\n{POLICE}\n--ndr\n"
            f"Content-Type: message/delivery-status\n\nReporting-MTA: dns;mail.{DOMAIN}\n\n"
            f"Final-Recipient: rfc822;{POLICE}\nAction: {action}\nStatus: {status}\n--ndr\n"
            f"Content-Type: text/rfc822-headers\n\nFrom: {BOT}\nTo: {POLICE}\nSubject: {SUBJECT}\n"
            f"Message-ID: {REQUEST_ID}\n--ndr--\n")
    return _message([("From", f"Microsoft Outlook <{EXCHANGE}>"), ("To", BOT), ("Subject", subject), ("Date", DATE),
                     ("Message-ID", message_id), ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
                     ("Content-Type", 'multipart/report; report-type="delivery-status"; boundary="ndr"')], body)


def exchange_ndr() -> Case:
    return "Exchange NDR with the token", _dsn(f"Undeliverable: {SUBJECT}", "failed", "5.1.1",
                                               f"<ndr-1@{DOMAIN}>"), "bounce"


def delay_dsn() -> Case:
    return "delay DSN with the token", _dsn(f"Delivery Status Notification (Delay): {SUBJECT}", "delayed", "4.4.7",
                                            f"<delay-1@{DOMAIN}>"), "delivery_delayed"


def auto_reply() -> Case:
    headers = _reply_headers(subject=f"Automatic reply: {SUBJECT}", message_id="<ooo@northshire-police.example>")
    return "auto-reply with Auto-Submitted", _message(headers + [("Auto-Submitted", "auto-replied")],
                                                      "I am out of the office until Monday. No involvement."), \
        "auto_reply"


def auto_reply_with_docx() -> Case:
    """An automatic message that carries a document is never filed away unread."""
    body = ("--m\nContent-Type: text/plain\n\nI am away.\n--m\n" + _attachment("return.docx", DOCX, valid_docx())
            + "--m--\n")
    headers = _reply_headers(subject=f"Automatic reply: {SUBJECT}", message_id="<ooo2@northshire-police.example>",
                             content_type='multipart/mixed; boundary="m"')
    return "auto-reply carrying a Word document", _message(headers + [("Auto-Submitted", "auto-generated")], body), \
        "needs_attention"


def attached_eml() -> Case:
    inner = _message([("From", POLICE), ("To", BOT), ("Subject", "Our return"), ("MIME-Version", "1.0"),
                      ("Content-Type", 'multipart/mixed; boundary="in"')],
                     "--in\nContent-Type: text/plain\n\nReturn attached.\n--in\n"
                     + _attachment("return.docx", DOCX, valid_docx()) + "--in--\n", eol=b"\n").decode()
    body = ("--o\nContent-Type: text/plain\n\nForwarding our earlier email.\n--o\n"
            'Content-Type: message/rfc822\nContent-Disposition: attachment; filename="Our return.eml"\n\n'
            + inner + "\n--o--\n")
    return "an attached .eml (message/rfc822)", _message(_reply_headers(
        message_id="<fwd@northshire-police.example>", content_type='multipart/mixed; boundary="o"'), body), \
        "needs_attention"


def base64_bad_padding() -> Case:
    """Base64 with its '=' padding gone, as some gateways send it: still readable."""
    text = base64.b64encode(NIL.encode()).decode()
    assert text.endswith("=")
    headers = _reply_headers(message_id="<b64@northshire-police.example>", content_type="text/plain; charset=utf-8")
    return "base64 body with bad padding", _message(headers + [("Content-Transfer-Encoding", "base64")],
                                                    text.rstrip("=")), "nil_return"


def base64_cut_short() -> Case:
    """Base64 one character short of a whole group cannot be decoded: the words are unknown, so a person looks."""
    text = base64.b64encode(NIL.encode()).decode().rstrip("=")[:-1]
    headers = _reply_headers(message_id="<b64cut@northshire-police.example>",
                             content_type="text/plain; charset=utf-8")
    return "base64 body cut short", _message(headers + [("Content-Transfer-Encoding", "base64")], text), \
        "needs_attention"


def encoded_word_subject() -> Case:
    subject = "=?utf-8?b?" + base64.b64encode(f"RE: {SUBJECT}".encode()).decode() + "?="
    body = ("--mix\nContent-Type: text/plain\n\nAttached.\n--mix\n" + _attachment("return.docx", DOCX, valid_docx())
            + "--mix--\n")
    return "encoded-word subject (=?utf-8?b?)", _message(_reply_headers(
        subject=subject, message_id="<ew@northshire-police.example>", content_type='multipart/mixed; boundary="mix"'),
        body), "agency_return"


def rfc2231_filename() -> Case:
    """A non-ASCII file name (RFC 2231) and a generic content type: known as a return by its name."""
    part = ("Content-Type: application/octet-stream\n"
            "Content-Disposition: attachment; filename*=utf-8''R%C3%BCckmeldung%20Polizei.docx\n"
            f"Content-Transfer-Encoding: base64\n\n{_b64(valid_docx())}\n")
    body = "--mix\nContent-Type: text/plain\n\nAttached.\n--mix\n" + part + "--mix--\n"
    return "RFC 2231 file name, octet-stream type", _message(_reply_headers(
        message_id="<2231@northshire-police.example>", content_type='multipart/mixed; boundary="mix"'), body), \
        "agency_return"


def lf_only() -> Case:
    return "LF-only line endings", _message(_reply_headers(message_id="<lf@northshire-police.example>"), NIL,
                                            eol=b"\n"), "nil_return"


def folded_subject() -> Case:
    """A Subject folded across lines right inside the token."""
    folded = f"RE: Rapid review information request\r\n [CSPR {REF}/POL-{TOKEN.check}]"
    return "folded Subject", _message(_reply_headers(subject=folded, message_id="<fold@northshire-police.example>"),
                                      NIL), "nil_return"


def macro_document() -> Case:
    body = ("--mix\nContent-Type: text/plain\n\nAttached.\n--mix\n" + _attachment("return.docx", DOCX, docm())
            + "--mix--\n")
    return "a macro document named .docx", _message(_reply_headers(
        message_id="<docm@northshire-police.example>", content_type='multipart/mixed; boundary="mix"'), body), \
        "quarantined"


def display_name_spoof() -> Case:
    body = ("--mix\nContent-Type: text/plain\n\nAttached.\n--mix\n" + _attachment("return.docx", DOCX, valid_docx())
            + "--mix--\n")
    return "agency address as display name", _message(_reply_headers(
        sender=f'"{POLICE}" <someone@elsewhere.example>', message_id="<spoof@elsewhere.example>",
        content_type='multipart/mixed; boundary="mix"'), body), "needs_attention"


def two_from_headers() -> Case:
    """Two From headers (RFC 5322 allows one): which one a mail client shows varies, so neither is trusted."""
    headers = [("From", POLICE)] + _reply_headers(sender="someone@elsewhere.example",
                                                  message_id="<twofrom@elsewhere.example>")
    return "two From headers", _message(headers, NIL), "needs_attention"


def panel_reply() -> Case:
    return "a reply from the Panel", _message(_reply_headers(
        sender=PANEL, subject=f"RE: Rapid review {REF}", message_id="<panel@national-panel.example>"),
        "The Panel has considered the rapid review."), "panel_reply"


def garbage_bytes() -> Case:
    return "binary garbage", bytes((n * 131 + 7) % 256 for n in range(4096)), "needs_attention"


BUILDERS: tuple[Callable[[], Case], ...] = (
    alternative_nil_return, mixed_with_docx, nested_related_with_pdf, html_only_script_says_nil, html_only_nil,
    windows_1252, iso_8859_1, shift_jis, undeclared_8bit, missing_from, missing_subject, missing_date, bad_date,
    missing_message_id, bare_headers_only, empty, huge_subject, many_received, tnef_without_token, tnef_with_token,
    calendar_invite, read_receipt_without_token, read_receipt_with_token, exchange_ndr, delay_dsn, auto_reply,
    auto_reply_with_docx, attached_eml, base64_bad_padding, base64_cut_short, encoded_word_subject, rfc2231_filename,
    lf_only, folded_subject, macro_document, display_name_spoof, two_from_headers, panel_reply, garbage_bytes,
)


def corpus() -> list[Case]:
    """(name, raw bytes, expected outcome name as ingest_mail records it before the ':folder')."""
    return [build() for build in BUILDERS]
