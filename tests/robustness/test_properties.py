"""Property tests of the code that reads what outsiders send (reliability-security.md §3): mail parsing and
classification, request tokens, UK dates, returned forms and a whole ingest_mail run. Hostile input is an
answer for a person to look at, never an exception. Run with --hypothesis-show-statistics for example counts."""

from __future__ import annotations

import base64
import copy
import io
import re
from dataclasses import replace
from datetime import UTC, date

import pytest
from docx import Document
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.adapters.memory import MemoryMailbox
from bot.bootstrap import App, build_memory_app
from bot.cases import add_case
from bot.documents.render import DocumentTemplates, Rendered
from bot.documents.returns import GUIDANCE, TITLES, ParsedReturn, parse_return
from bot.documents.ukdates import parse_uk_date
from bot.domain.correlation import Token, find_token, token_for
from bot.domain.model import Case
from bot.handlers.ingest_mail import inbound_key, ingest_mail
from bot.handlers.start_rapid_review import start_rapid_review
from bot.mail.classify import Kind, classify, own_text, return_kind
from bot.mail.mime import parse_message
from bot.ports import AttachmentInfo, InboundMessage
from tests.conftest import london
from tests.hostile_docs import docm, valid_docx
from tests.robustness.corpus import DOCX, EXCHANGE, PANEL, POLICE, REF, REQUEST_ID, SUBJECT, TOKEN

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW_PROPERTY = settings(PROPERTY, max_examples=50)
# the `app` fixture is only a template: every example runs on a fresh app with a copy of its register
APP_PROPERTY = settings(PROPERTY, suppress_health_check=[*PROPERTY.suppress_health_check,
                                                         HealthCheck.function_scoped_fixture])

FORM = valid_docx()
SIN = date(2027, 1, 5)
NOW = london(date(2027, 1, 7), 10)

short_text = st.text(max_size=80)
# what a mail client might put in a header value: anything, often something the bot looks for
header_values = st.one_of(
    short_text,
    st.sampled_from([POLICE, PANEL, EXCHANGE, f"RE: {SUBJECT}", f"Undeliverable: {SUBJECT}", REQUEST_ID,
                     "auto-replied", "=?utf-8?b?w6k=?=", "=?shift_jis?b?grG=?=", "<a@b>", "Mon, 32 Foo 99999"]),
    st.builds(lambda a, b: f"{a}{TOKEN}{b}", short_text, short_text),
)
header_names = st.one_of(
    st.sampled_from(["From", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Content-Type",
                     "Content-Transfer-Encoding", "Auto-Submitted", "Precedence", "X-Autoreply", "MIME-Version",
                     "Content-Disposition", "Received", "Sender", "Reply-To"]),
    st.from_regex(r"[!-9;-~]{1,20}", fullmatch=True),
)
content_types = st.sampled_from([
    "text/plain; charset=utf-8", "text/html; charset=windows-1252", "text/plain; charset=bogus-charset",
    'multipart/mixed; boundary="b"', 'multipart/alternative; boundary="b"',
    'multipart/report; report-type=delivery-status; boundary="b"', "message/rfc822", "application/ms-tnef",
    'multipart/mixed; boundary=""', "text/plain; charset=shift_jis",
])
transfer_encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"])
attachment_data = st.one_of(st.binary(max_size=300), st.just(FORM), st.builds(docm))
attachments = st.lists(st.tuples(
    st.one_of(st.sampled_from(["return.docx", "RETURN.PDF", "winmail.dat", "../../evil.docx", "a.eml"]), short_text),
    st.sampled_from([DOCX, "application/pdf", "application/octet-stream", "application/ms-tnef", "text/calendar",
                     "message/rfc822", "x/x"]),
    attachment_data,
), max_size=2)

# the headers of a reply that reaches the request (or the Panel), so examples go past "needs attention"
replies = st.sampled_from([
    [], [("From", POLICE), ("Subject", f"RE: {SUBJECT}")], [("From", POLICE), ("In-Reply-To", REQUEST_ID)],
    [("From", f"Microsoft Outlook <{EXCHANGE}>"), ("Subject", f"Undeliverable: {SUBJECT}")],
    [("From", PANEL), ("Subject", f"RE: {REF}")], [("From", POLICE), ("Auto-Submitted", "auto-replied")],
])


def _header_line(name: str, value: str) -> bytes:
    return f"{name}: {value}".encode("utf-8", "surrogateescape")


@st.composite
def assembled_messages(draw: st.DrawFn) -> bytes:
    """A message put together from arbitrary and likely headers, a body in some encoding, and attachments."""
    headers = draw(replies) + draw(st.lists(st.tuples(header_names, header_values), max_size=8))
    lines = [_header_line(n, v) for n, v in headers]
    text = draw(st.one_of(st.text(max_size=300), st.sampled_from(["Nil return.", "No involvement\n> yes", ""])))
    body = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), "replace")
    parts = draw(attachments)
    if parts:
        lines.append(b'Content-Type: multipart/mixed; boundary="b"')
        chunks = [b"--b\r\nContent-Type: text/plain\r\n\r\n" + body]
        for name, content_type, data in parts:
            chunks.append(f'--b\r\nContent-Type: {content_type}\r\nContent-Disposition: attachment; filename="{name}"'
                          f"\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode("utf-8", "surrogateescape")
                          + base64.encodebytes(data))
        body = b"\r\n".join(chunks) + b"\r\n--b--\r\n"
    else:
        lines.append(f"Content-Type: {draw(content_types)}".encode())
        lines.append(f"Content-Transfer-Encoding: {draw(transfer_encodings)}".encode())
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


raw_messages = st.one_of(st.binary(max_size=1000), assembled_messages())


class TestParseMessage:
    @PROPERTY
    @given(raw=st.binary(max_size=2000))
    def test_never_raises_on_arbitrary_bytes_and_keeps_the_mailbox_id(self, raw):
        m = parse_message("mem-1", raw)
        assert m.id == "mem-1" and m.received.tzinfo is not None
        assert m.sender == m.sender.lower() and (m.sender == "" or "@" in m.sender)

    @PROPERTY
    @given(raw=assembled_messages())
    def test_never_raises_on_arbitrary_headers_and_bodies_and_reads_only_one_plain_sender(self, raw):
        m = parse_message("mem-1", raw)
        assert m.sender == m.sender.lower() and (m.sender == "" or m.sender.count("@") >= 1)
        assert "\n" not in m.subject and m.subject == m.subject.strip()
        assert all(a.size >= 0 and a.name for a in m.attachments)
        assert [a.id for a in m.attachments] == [str(n) for n in range(len(m.attachments))]


attachment_infos = st.builds(
    AttachmentInfo, id=st.text(max_size=4), size=st.integers(0, 10**9),
    name=st.one_of(short_text, st.sampled_from(["r.docx", "R.PDF", "x.doc", "winmail.dat"])),
    content_type=st.one_of(short_text, st.sampled_from([DOCX, "application/pdf", "APPLICATION/PDF",
                                                        "application/ms-tnef"])))
senders = st.one_of(short_text, st.sampled_from([POLICE, PANEL, PANEL.upper(), EXCHANGE, "mailer-daemon@x.example",
                                                 "postmaster@northshire-scp.example", ""]))
inbound_messages = st.builds(
    InboundMessage, id=short_text, internet_message_id=short_text, subject=header_values, sender=senders,
    received=st.datetimes(timezones=st.just(UTC)), body_text=st.one_of(st.text(max_size=400), st.sampled_from(
        ["No involvement.\n> nil return", "> no involvement", "We have no record of the family.", "Nil return"])),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6).map(tuple),
    attachments=st.lists(attachment_infos, max_size=3).map(tuple), in_reply_to=short_text,
    references=st.lists(short_text, max_size=3).map(tuple))


class TestClassify:
    @PROPERTY
    @given(m=inbound_messages, reply_token=st.sampled_from([None, TOKEN, token_for("AB-1234-567", "X1")]))
    def test_never_raises_and_only_completes_a_request_it_can_name(self, m, reply_token):
        c = classify(m, panel_address=PANEL, reply_token=reply_token)
        event(c.kind.value)
        assert c.kind in set(Kind) and c.reason
        assert c.token in {None, reply_token, find_token(m.subject), find_token(m.body_text)}
        if c.kind in (Kind.AGENCY_RETURN, Kind.NIL_RETURN):
            assert c.token is not None and m.sender.lower() != PANEL
        if c.kind is Kind.AGENCY_RETURN:
            assert any(return_kind(a) for a in m.attachments)
        if c.kind is Kind.PANEL_REPLY:
            assert m.sender.lower() == PANEL
        if c.kind is Kind.AUTO_REPLY:  # a document is never filed away unread with an out-of-office
            assert not any(return_kind(a) for a in m.attachments)

    @PROPERTY
    @given(body=st.text(max_size=400))
    def test_own_text_is_the_senders_first_lines_and_never_the_quoted_original(self, body):
        mine = own_text(body)
        lines = body.splitlines()
        assert any(mine == "\n".join(lines[:k]) for k in range(len(lines) + 1))
        replied = own_text(f"{body}\n-----Original Message-----\nQUOTED-ORIGINAL no involvement")
        assert "QUOTED-ORIGINAL" not in replied

    @PROPERTY
    @given(info=attachment_infos)
    def test_return_kind_is_docx_or_pdf_or_nothing_and_a_docx_name_always_counts(self, info):
        assert return_kind(info) in (None, "docx", "pdf")
        if info.name.lower().endswith((".docx", ".pdf")):
            assert return_kind(info) is not None


case_refs = st.from_regex(r"[A-Z]{2,6}-[0-9]{4}-[0-9]{3,6}", fullmatch=True)
agency_codes = st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True)


class TestTokens:
    @PROPERTY
    @given(ref=case_refs, agency=agency_codes, before=short_text, after=short_text, lower=st.booleans())
    def test_a_token_the_bot_issued_is_found_again_wherever_it_sits_in_a_subject(self, ref, agency, before, after,
                                                                                 lower):
        token = token_for(ref, agency)
        text = f"{before} RE: {token} {after}"
        assert find_token(text.lower() if lower else text) == token
        assert Token.parse(token.value) == token

    @PROPERTY
    @given(text=st.one_of(st.text(max_size=300), st.builds(lambda a, b: f"{a}[CSPR {b}]", short_text, short_text)))
    def test_never_raises_on_arbitrary_text_and_finds_only_tokens_with_a_true_check(self, text):
        found = find_token(text)
        assert found is None or token_for(found.case_ref, found.agency) == found
        assert isinstance(Token.parse(text), Token)

    @PROPERTY
    @given(ref=case_refs, agency=agency_codes, check=st.from_regex(r"[0-9A-Fa-f]{4}", fullmatch=True))
    def test_a_token_with_a_changed_check_code_never_correlates(self, ref, agency, check):
        if check.upper() == token_for(ref, agency).check:
            check = f"{(int(check, 16) + 1) % 0x10000:04X}"
        assert find_token(f"RE: request {Token(ref, agency, check)}") is None


class TestParseUkDate:
    @PROPERTY
    @given(text=st.one_of(st.text(max_size=60),
                          st.text(alphabet="0123456789/.-, :apmthsndroJanFebSepMayDecTuesdayof", max_size=30)))
    def test_never_raises_and_gives_only_dates_from_1900_to_2100(self, text):
        found = parse_uk_date(text)
        assert found is None or (isinstance(found, date) and 1900 <= found.year <= 2100)

    @PROPERTY
    @given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
           shape=st.sampled_from(["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y"]))
    def test_round_trips_a_date_written_day_first(self, day, shape):
        text = day.strftime(shape.replace("%-d", str(day.day)))
        assert parse_uk_date(text) == day, text


docx_mutations = st.tuples(st.integers(0, len(FORM) - 1), st.binary(min_size=1, max_size=16), st.booleans())
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=60)
paragraph_texts = st.one_of(xml_text, st.sampled_from([*TITLES, *GUIDANCE, "Yes", "No", "Nil return", "maybe",
                                                       "3 Feb 2026: home visit", "31/02/2026 | visit | PC | none",
                                                       "- learning point", "Author", "Name"]))
paragraphs = st.lists(st.tuples(paragraph_texts, st.sampled_from([None, "Heading 1", "Heading 2", "Title", "bold",
                                                                  "italic"])), max_size=12)
tables = st.lists(st.lists(st.lists(st.one_of(xml_text, st.sampled_from(["Date", "Contact", "Author", "Name",
                                                                          "3/2/26", "Role", "Outcome"])),
                                    min_size=1, max_size=4), min_size=1, max_size=4), max_size=2)


def _docx(paras: list[tuple[str, str | None]], tabs: list[list[list[str]]]) -> bytes:
    doc = Document()
    for text, style in paras:
        if style in ("bold", "italic"):
            run = doc.add_paragraph().add_run(text)
            run.bold, run.italic = style == "bold", style == "italic"
        else:
            doc.add_paragraph(text, style)
    for rows in tabs:
        width = max(len(r) for r in rows)
        table = doc.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _words(result: ParsedReturn) -> str:
    rows = [f"{r.date_text} {r.event} {r.role} {r.outcome}" for r in result.chronology]
    return " ".join([result.summary, result.analysis, result.lived_experience, result.criteria_view, result.author,
                     *result.good_practice, *result.learning, *result.actions, *result.unread, *result.sign_off,
                     *rows])


class TestParseReturn:
    @PROPERTY
    @given(data=st.one_of(st.binary(max_size=2000), st.builds(lambda m: FORM[: m[0]] if m[2] else FORM[: m[0]]
                                                              + m[1] + FORM[m[0] + len(m[1]):], docx_mutations)))
    def test_never_raises_on_arbitrary_or_damaged_bytes_and_always_says_why_it_has_no_answer(self, data):
        result = parse_return(data, "POL")
        assert isinstance(result, ParsedReturn) and result.agency == "POL"
        assert result.involvement is not None or result.flags

    @SLOW_PROPERTY
    @given(paras=paragraphs, tabs=tables)
    def test_never_raises_on_a_word_file_of_arbitrary_paragraphs_and_drops_no_typed_word(self, paras, tabs):
        result = parse_return(_docx(paras, tabs), "POL")
        assert result.involvement is not None or result.flags
        kept = _words(result)
        consumed = " ".join([*TITLES, *GUIDANCE, "yes no nil return none involved"]).lower()
        for text, style in paras:
            if style in ("Heading 1", "Heading 2", "Title", "bold", "italic"):
                continue  # headings are read as structure; italics where guidance goes are flagged separately
            for word in re.findall(r"\w+", re.sub(r"^([-•*·▪◦‣–]|\(?\d{1,2}[.)])\s+", "", text.strip())):
                assert word in kept or word.lower() in consumed, (word, text)


@pytest.fixture
def review(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    """A template app after a rapid review for REF sent its requests to the police and health."""
    monkeypatch.setattr(DocumentTemplates, "render", lambda self, name, context: Rendered(b"PK\x03\x04 form", 0))
    p = app.partnership()
    case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=SIN, sin_submitted=SIN, agencies=("POL", "HLT"))
    add_case(app.register, p, case, by=p.team_address, at=london(SIN))
    start_rapid_review(london(SIN, 10), deps=app.deps())
    return app


class TestIngestMail:
    @APP_PROPERTY
    @given(raws=st.lists(raw_messages, min_size=1, max_size=3))
    def test_no_input_raises_out_of_a_run_and_each_message_is_recorded_once_and_filed(self, review, raws):
        app = build_memory_app(review.settings, register=copy.deepcopy(review.register))
        # the template's checked Word templates and email composer, with this example's own ports
        deps = replace(review.deps(), register=app.register, ledger=app.ledger, library=app.library)
        try:
            ids = [app.mailbox.deliver(raw) for raw in raws]
            report = ingest_mail(NOW, deps=deps, mailbox=app.mailbox)
            assert isinstance(app.mailbox, MemoryMailbox) and not app.mailbox.inbox
            keys = {inbound_key(parse_message(mid, raw)) for mid, raw in zip(ids, raws, strict=True)}
            assert (report.processed, report.replays) == (len(keys), len(raws) - len(keys))
            for mid, raw in zip(ids, raws, strict=True):
                outcome = app.ledger.inbound_outcome(inbound_key(parse_message(mid, raw)))
                assert outcome is not None
                event(outcome)  # shown by --hypothesis-show-statistics: which paths the examples reached
                [folder] = [f for f, held in app.mailbox.folders.items() if mid in held]
                assert outcome.endswith(f":{folder.value}")
        finally:
            app.close()
