"""ingest_mail on in-memory fakes: replies to the requests of a started rapid review, as RFC 5322 bytes,
each acted on, recorded and filed exactly once."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest

from bot.adapters.memory import MemoryMailbox
from bot.bootstrap import App, build_memory_app, tick
from bot.cases import add_case, find_case, requests_of, save_case
from bot.documents.render import DocumentTemplates, Rendered
from bot.domain.correlation import token_for
from bot.domain.model import AgencyRequest, Case, RequestStatus, Stage
from bot.handlers.ingest_mail import IngestReport, inbound_key, ingest_mail
from bot.handlers.start_rapid_review import start_rapid_review
from bot.mail.mime import parse_message
from bot.ports import MailChanges, MailFolder, OutboundMessage, OutboxItem
from tests.conftest import london
from tests.hostile_docs import docm, valid_docx

SIN = date(2027, 1, 5)
REPLY_DAY = date(2027, 1, 7)
REF = "RR-2027-003"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
POLICE = "safeguarding.reviews@northshire-police.example"
HEALTH = "named.nurse@northshire-health.example"
TEAM = "business-team@northshire-scp.example"
PANEL = "review-panel@national-panel.example"
FORM = valid_docx()  # a real, plain Word file: returns are safety-checked before they are kept


@pytest.fixture(autouse=True)
def plain_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request form's content plays no part in ingest; rendering it would be most of this file's time."""
    monkeypatch.setattr(DocumentTemplates, "render", lambda self, name, context: Rendered(b"PK\x03\x04 form", 0))


def started(app: App, sin: date = SIN, agencies: tuple[str, ...] = ("POL", "HLT")) -> App:
    p = app.partnership()
    case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=sin, sin_submitted=sin, agencies=agencies)
    add_case(app.register, p, case, by=p.team_address, at=london(sin))
    start_rapid_review(london(sin, 10), deps=app.deps())
    return app


@pytest.fixture
def review(app: App) -> App:
    """The app the day after a rapid review started: requests to the police and health are out."""
    return started(app)


def request_mail(app: App, agency: str = "POL") -> OutboundMessage:
    return next(o.message for o in app.ledger.outbox() if o.key == f"request:{REF}:{agency}")


def reply(app: App, agency: str = "POL", *, sender: str = POLICE, subject: str | None = None,
          text: str = "Please find our completed form attached.", attach: tuple[str, str] | None = None,
          message_id: str = "<reply-1@northshire-police.example>", thread: str = "both",
          headers: dict[str, str] | None = None, content: bytes = FORM) -> bytes:
    """A reply to the agency's request. `attach` is (file name, content type), its content FORM; `thread` says
    which reply headers point at the request: "both", "in-reply-to", "references" or "none"."""
    request = request_mail(app, agency)
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = "cspr-bot@northshire-scp.example"
    mime["Subject"] = f"RE: {request.subject}" if subject is None else subject
    mime["Date"] = "Thu, 07 Jan 2027 10:00:00 +0000"
    mime["Message-ID"] = message_id
    if thread in ("both", "in-reply-to"):
        mime["In-Reply-To"] = request.message_id
    if thread in ("both", "references"):
        mime["References"] = f"<earlier@northshire-police.example> {request.message_id}"
    for name, value in (headers or {}).items():
        mime[name] = value
    mime.set_content(f"{text}\n\n-----Original Message-----\n{request.text}")
    if attach:
        maintype, _, subtype = attach[1].partition("/")
        mime.add_attachment(content, maintype=maintype, subtype=subtype, filename=attach[0])
    return bytes(mime)


def a_return(app: App, agency: str = "POL", **kw: Any) -> bytes:
    return reply(app, agency, attach=("../../evil.docx", DOCX_TYPE), **kw)


def bounce(app: App, agency: str = "POL", prefix: str = "Undeliverable: ", action: str = "failed") -> bytes:
    """A delivery status notification for the request, as Exchange sends one."""
    request = request_mail(app, agency)
    return (
        "From: postmaster@northshire-scp.example\r\nTo: cspr-bot@northshire-scp.example\r\n"
        f"Subject: {prefix}{request.subject}\r\nMessage-ID: <ndr-{action}@northshire-scp.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="ndr"\r\n\r\n'
        "--ndr\r\nContent-Type: text/plain\r\n\r\nDelivery has failed to these recipients or groups:\r\n"
        f"{request.to[0]}\r\n--ndr\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns;mail.northshire-scp.example\r\n\r\nFinal-Recipient: rfc822;{request.to[0]}\r\n"
        f"Action: {action}\r\nStatus: {'5.1.1' if action == 'failed' else '4.4.7'}\r\n--ndr--\r\n"
    ).encode()


def ingest(app: App, day: date = REPLY_DAY, hour: int = 10) -> IngestReport:
    return ingest_mail(london(day, hour), deps=app.deps(), mailbox=app.mailbox)


def request(app: App, agency: str = "POL") -> AgencyRequest:
    return next(r.request for r in requests_of(app.register, REF) if r.request.agency == agency)


def police_etag(app: App) -> str:
    return next(r.item.etag for r in requests_of(app.register, REF) if r.request.agency == "POL")


def queued(app: App, purpose: str) -> list[OutboxItem]:
    return [o for o in app.ledger.outbox() if o.purpose == purpose]


def filed(app: App, folder: MailFolder) -> dict[str, str]:
    """Message id -> reason, of the messages filed in `folder`."""
    assert isinstance(app.mailbox, MemoryMailbox)
    return {mid: reason for mid, (_, reason) in app.mailbox.folders[folder].items()}


def actions(app: App) -> list[str]:
    return [e.action for e in app.ledger.audit_trail(REF)]


class TestAgencyReturns:
    def test_a_return_is_saved_under_a_generated_name_never_the_senders(self, review):
        review.mailbox.deliver(a_return(review))
        ingest(review)
        [saved] = review.library.list(REF, "returns")
        assert re.fullmatch(r"returns/POL-20270107-[0-9a-f]{8}-1\.docx", saved.path)
        assert review.library.read(REF, saved.path) == FORM
        assert all("evil" not in "/".join(k) and ".." not in k for k in review.library.files)

    def test_a_pdf_return_is_saved_as_a_pdf(self, review):
        review.mailbox.deliver(reply(review, attach=("Police return.pdf", "application/pdf"),
                                     content=b"%PDF-1.4\n% a scanned return\n"))
        ingest(review)
        assert [d.path.rpartition(".")[2] for d in review.library.list(REF, "returns")] == ["pdf"]

    def test_a_return_marks_the_request_returned_on_the_day_it_arrived(self, review):
        review.mailbox.deliver(a_return(review))
        ingest(review)
        assert request(review).status is RequestStatus.RETURNED
        assert request(review).returned == REPLY_DAY
        assert request(review, "HLT").status is RequestStatus.SENT

    def test_the_returned_date_is_the_uk_date_not_the_utc_one(self, app):
        started(app, sin=date(2027, 6, 28))
        app.mailbox.deliver(a_return(app))
        ingest(app, date(2027, 7, 1), hour=0)  # 00:00 BST is 23:00 UTC on 30 June
        assert request(app).returned == date(2027, 7, 1)

    def test_a_return_is_acknowledged_to_the_agency_lead_in_reply_to_it(self, review):
        review.mailbox.deliver(a_return(review, sender="Deputy Lead <deputy@northshire-police.example>"))
        ingest(review)
        [ack] = queued(review, "acknowledgement")
        assert ack.message.to == (POLICE,)
        assert ack.message.in_reply_to == "<reply-1@northshire-police.example>"
        assert str(token_for(REF, "POL")) in ack.message.subject and "information return" in ack.message.subject

    def test_a_return_is_filed_in_processed_and_audited(self, review):
        mid = review.mailbox.deliver(a_return(review))
        report = ingest(review)
        assert report.outcomes == {"agency_return": 1}
        assert mid in filed(review, MailFolder.PROCESSED) and not review.mailbox.inbox
        assert {"return_saved", "request_returned"} <= set(actions(review))

    def test_a_return_from_another_of_the_agencys_allowed_domains_is_accepted(self, review):
        review.mailbox.deliver(a_return(review, "HLT", sender="deputy.nurse@northshire-icb.example"))
        ingest(review)
        assert request(review, "HLT").status is RequestStatus.RETURNED

    @pytest.mark.parametrize("thread", ["in-reply-to", "references"])
    def test_a_reply_that_lost_the_token_is_matched_by_its_reply_headers(self, review, thread):
        review.mailbox.deliver(a_return(review, subject="RE: our information", thread=thread))
        ingest(review)
        assert request(review).status is RequestStatus.RETURNED
        assert len(review.library.list(REF, "returns")) == 1

    def test_a_reply_with_no_token_and_no_reply_headers_needs_attention(self, review):
        review.mailbox.deliver(a_return(review, subject="Our information", thread="none"))
        ingest(review)
        assert request(review).status is RequestStatus.SENT
        assert list(filed(review, MailFolder.NEEDS_ATTENTION).values()) == [
            "no request reference in the subject or reply headers"]

    def test_a_second_return_for_a_returned_request_is_saved_and_keeps_the_first_date(self, review):
        review.mailbox.deliver(a_return(review))
        ingest(review)
        review.mailbox.deliver(a_return(review, message_id="<reply-2@northshire-police.example>"))
        ingest(review, date(2027, 1, 8))
        assert len(review.library.list(REF, "returns")) == 2
        assert request(review).returned == REPLY_DAY and request(review).status is RequestStatus.RETURNED


class TestNilReturns:
    def test_an_explicit_nil_return_is_recorded_flagged_for_the_team_and_acknowledged(self, review):
        mid = review.mailbox.deliver(reply(review, text="Nil return: Child A is not known to our service."))
        ingest(review)
        assert request(review).status is RequestStatus.NIL_RETURN and request(review).returned == REPLY_DAY
        [alert] = queued(review, "team_alert")
        assert alert.message.to == (TEAM,) and "Northshire Police" in alert.message.subject
        [ack] = queued(review, "acknowledgement")
        assert ack.message.to == (POLICE,) and "nil return" in ack.message.subject
        assert mid in filed(review, MailFolder.PROCESSED)
        assert review.library.list(REF, "returns") == []

    def test_a_nil_return_after_a_return_keeps_the_return_and_asks_a_person(self, review):
        review.mailbox.deliver(a_return(review))
        ingest(review)
        review.mailbox.deliver(reply(review, text="Sorry, no involvement after all.",
                                    message_id="<reply-9@northshire-police.example>"))
        ingest(review, date(2027, 1, 8))
        assert request(review).status is RequestStatus.RETURNED
        assert list(filed(review, MailFolder.NEEDS_ATTENTION).values()) == [
            "a nil return for a request whose return was already received"]

    def test_the_request_texts_own_nil_wording_in_the_quoted_original_is_not_a_nil_return(self, review):
        review.mailbox.deliver(reply(review, text="Thanks, we are searching our records."))
        ingest(review)
        assert request(review).status is RequestStatus.SENT
        assert queued(review, "acknowledgement") == []


class TestAutoReplies:
    @pytest.mark.parametrize("kw", [{"headers": {"Auto-Submitted": "auto-replied"}},
                                    {"subject": f"Automatic reply: Rapid review {token_for(REF, 'POL')}"}])
    def test_an_out_of_office_does_not_complete_the_request_but_notes_it(self, review, kw):
        mid = review.mailbox.deliver(reply(review, text="I am out of the office until Monday.", **kw))
        ingest(review)
        assert request(review).status is RequestStatus.SENT
        assert request(review).note.startswith("out of office")
        assert queued(review, "acknowledgement") == [] and queued(review, "team_alert") == []
        assert mid in filed(review, MailFolder.PROCESSED)

    def test_an_out_of_office_arriving_after_a_return_does_not_reopen_the_request(self, review):
        review.mailbox.deliver(a_return(review))
        review.mailbox.deliver(reply(review, headers={"Auto-Submitted": "auto-replied"},
                                     message_id="<ooo-1@northshire-police.example>"))
        ingest(review)  # both in one run: the second must see what the first did
        assert request(review).status is RequestStatus.RETURNED
        assert not request(review).note.startswith("out of office")


class TestBounces:
    def test_a_bounce_marks_the_request_undeliverable_and_alerts_the_business_team(self, review):
        mid = review.mailbox.deliver(bounce(review))
        ingest(review)
        assert request(review).status is RequestStatus.UNDELIVERABLE and request(review).note == "address bounced"
        [alert] = queued(review, "team_alert")
        assert alert.message.to == (TEAM,) and "bounced" in alert.message.subject
        assert queued(review, "acknowledgement") == []
        assert mid in filed(review, MailFolder.PROCESSED)

    def test_a_delivery_delay_warning_changes_nothing(self, review):
        mid = review.mailbox.deliver(bounce(review, prefix="Delivery delayed:", action="delayed"))
        report = ingest(review)
        assert report.outcomes == {"delivery_delayed": 1} and mid in filed(review, MailFolder.PROCESSED)
        assert request(review).status is RequestStatus.SENT and request(review).note == ""
        assert queued(review, "team_alert") == []

    def test_a_late_bounce_does_not_reopen_a_returned_request(self, review):
        review.mailbox.deliver(a_return(review))
        ingest(review)
        review.mailbox.deliver(bounce(review))
        ingest(review, date(2027, 1, 8))
        assert request(review).status is RequestStatus.RETURNED


class TestPanelReplies:
    def test_a_panel_reply_is_recorded_on_a_submitted_case(self, review):
        now = london(date(2027, 1, 20), 11)
        save_case(review.register, find_case(review.register, REF), by="cspr-bot", at=now,
                  stage=Stage.SUBMITTED_TO_PANEL, submitted_to_panel=now)
        raw = reply(review, sender=f"Review Panel <{PANEL}>", thread="none",
                    subject=f"RE: OFFICIAL-SENSITIVE: Rapid review: Northshire County Council - {REF}",
                    text="The Panel agrees with the recommendation.", attach=("decision.pdf", "application/pdf"))
        mid = review.mailbox.deliver(raw)
        ingest(review, date(2027, 2, 3))
        assert "panel_replied" in actions(review)
        assert find_case(review.register, REF).case.stage is Stage.PANEL_RESPONDED
        assert [d.path for d in review.library.list(REF, "panel")][0].endswith("-1.pdf")
        assert [a.message.to for a in queued(review, "team_alert")] == [(TEAM,)]
        assert mid in filed(review, MailFolder.PROCESSED)

    def test_a_panel_reply_before_submission_leaves_the_stage_alone(self, review):
        review.mailbox.deliver(reply(review, sender=PANEL, subject=f"Question about {REF}", thread="none"))
        ingest(review)
        assert "panel_replied" in actions(review)
        assert find_case(review.register, REF).case.stage is Stage.RAPID_REVIEW_IN_PROGRESS

    def test_a_panel_message_naming_no_known_case_needs_attention(self, review):
        review.mailbox.deliver(reply(review, sender=PANEL, subject="Annual survey", thread="none"))
        ingest(review)
        assert list(filed(review, MailFolder.NEEDS_ATTENTION).values()) == [
            "a message from the Panel that names no known case"]


class TestNeedsAttention:
    @pytest.mark.parametrize(("kw", "reason"), [
        ({"text": "Can we have more time?"}, "reply without a return or a clear nil return"),
        ({"attach": ("return.doc", "application/msword")}, "attachment is not a Word or PDF document"),
        ({"subject": "A question", "thread": "none"}, "no request reference in the subject or reply headers"),
        ({"subject": f"RE: {token_for('RR-2027-099', 'POL')}", "thread": "none"},
         "request reference not recognised"),
    ])
    def test_anything_else_goes_to_a_person_with_a_reason_and_a_team_alert(self, review, kw, reason):
        mid = review.mailbox.deliver(reply(review, **kw))
        report = ingest(review)
        assert filed(review, MailFolder.NEEDS_ATTENTION) == {mid: reason}
        [alert] = queued(review, "team_alert")
        assert alert.message.to == (TEAM,) and "needs-attention" in alert.message.text
        assert request(review).status is RequestStatus.SENT and report.outcomes == {"needs_attention": 1}
        assert [e.detail for e in review.ledger.audit_trail() if e.action == "needs_attention"] == [reason]

    @pytest.mark.parametrize("sender", [
        '"Northshire Police" <lookalike@northshire-po1ice.example>',
        f'"{POLICE}" <lookalike@elsewhere.example>',
        "Northshire Police <safeguarding.reviews@mail.northshire-police.example.elsewhere.example>",
        "Northshire Police <someone@northshire-health.example>",  # an allowed domain, but of another agency
        pytest.param(f"{POLICE} <lookalike@elsewhere.example>", id="unquoted-address-as-display-name"),
    ])
    @pytest.mark.parametrize("kind", ["return", "nil"])
    def test_a_sender_outside_the_agencys_domains_cannot_complete_a_request(self, review, sender, kind):
        raw = a_return(review, sender=sender) if kind == "return" else reply(review, sender=sender, text="Nil return")
        review.mailbox.deliver(raw)
        ingest(review)
        assert request(review).status is RequestStatus.SENT
        assert list(filed(review, MailFolder.NEEDS_ATTENTION).values()) == [
            "sender is not at one of the agency's mail domains"]
        assert review.library.list(REF, "returns") == [] and queued(review, "acknowledgement") == []

    def test_a_senders_address_is_compared_without_regard_to_case(self, settings):
        class CapitalsMailbox(MemoryMailbox):
            """Keeps the sender as typed, as Microsoft Graph reports it."""

            def changes(self, cursor: str | None) -> MailChanges:
                found = super().changes(cursor)
                return MailChanges([replace(m, sender=m.sender.upper()) for m in found.messages], found.cursor)

        app = started(build_memory_app(settings, mailbox=CapitalsMailbox(address="cspr-bot@northshire-scp.example")))
        app.mailbox.deliver(a_return(app))
        ingest(app)
        assert request(app).status is RequestStatus.RETURNED

    def test_a_garbled_message_does_not_stop_the_tick_and_needs_attention(self, review):
        garbled = review.mailbox.deliver(random.Random(7).randbytes(4096))
        good = review.mailbox.deliver(a_return(review))
        tick(review, london(REPLY_DAY, 10))
        assert garbled in filed(review, MailFolder.NEEDS_ATTENTION)
        assert good in filed(review, MailFolder.PROCESSED) and request(review).status is RequestStatus.RETURNED


class TestExactlyOnce:
    def test_running_ingest_again_does_nothing_new(self, review):
        raw = a_return(review)
        review.mailbox.deliver(raw)
        first = ingest(review)
        second = ingest(review, hour=11)
        assert (first.processed, second.processed, second.replays) == (1, 0, 0)
        assert review.ledger.inbound_outcome(inbound_key(parse_message("x", raw))) == "agency_return:processed"
        assert len(queued(review, "acknowledgement")) == 1 and len(review.library.list(REF, "returns")) == 1

    def test_a_message_the_mailbox_offers_again_is_filed_not_acted_on(self, review):
        raw = a_return(review)
        mid = review.mailbox.deliver(raw)
        ingest(review)
        review.mailbox.inbox[mid] = raw  # the move was lost: the mailbox lists it again
        report = ingest(review, hour=11)
        assert (report.processed, report.replays) == (0, 1)
        assert len(queued(review, "acknowledgement")) == 1 and len(review.library.list(REF, "returns")) == 1
        assert not review.mailbox.inbox

    @pytest.mark.parametrize("what", ["return", "nil", "attention"])
    def test_a_second_copy_of_the_same_mail_is_filed_where_the_first_went_and_not_acted_on(self, review, what):
        raw = {"return": a_return(review), "nil": reply(review, text="No involvement."),
               "attention": reply(review, text="Who should answer this?")}[what]
        first = review.mailbox.deliver(raw)
        ingest(review)
        etag = police_etag(review)
        copy = review.mailbox.deliver(raw)  # the sending server retried after a timeout
        report = ingest(review, hour=11)
        assert (report.processed, report.replays) == (0, 1)
        assert len(queued(review, "acknowledgement")) == (0 if what == "attention" else 1)
        assert len(queued(review, "team_alert")) == (0 if what == "return" else 1)
        assert len(review.library.list(REF, "returns")) == (1 if what == "return" else 0)
        assert police_etag(review) == etag
        folder = MailFolder.NEEDS_ATTENTION if what == "attention" else MailFolder.PROCESSED
        assert {first, copy} <= set(filed(review, folder))

    def test_the_same_message_id_from_another_sender_is_a_different_message(self, review):
        review.mailbox.deliver(reply(review, text="Nil return"))
        review.mailbox.deliver(a_return(review, "HLT", sender=HEALTH))  # same Message-ID, another sender
        report = ingest(review)
        assert report.processed == 2 and request(review, "HLT").status is RequestStatus.RETURNED

    def test_a_message_recorded_before_a_crash_is_just_filed_on_the_next_run(self, review):
        mid = review.mailbox.deliver(a_return(review))
        review.ledger.record_inbound(mid, at=london(REPLY_DAY, 10), outcome="agency_return:processed")
        report = ingest(review, hour=11)
        assert (report.processed, report.replays) == (0, 1)
        assert mid in filed(review, MailFolder.PROCESSED)
        assert request(review).status is RequestStatus.SENT  # nothing re-done: the crash had done it
        assert queued(review, "acknowledgement") == [] and review.library.list(REF, "returns") == []

    def test_a_message_recorded_as_needing_attention_is_filed_there_after_a_crash(self, review):
        mid = review.mailbox.deliver(reply(review, text="Who should answer this?"))
        review.ledger.record_inbound(mid, at=london(REPLY_DAY, 10), outcome="needs_attention:needs-attention")
        ingest(review, hour=11)
        assert mid in filed(review, MailFolder.NEEDS_ATTENTION) and queued(review, "team_alert") == []

    def test_a_crash_after_acting_but_before_recording_repeats_nothing_visible(self, review, monkeypatch):
        def power_cut(*args: object, **kwargs: object) -> bool:
            raise OSError("power cut")

        review.mailbox.deliver(a_return(review))
        with monkeypatch.context() as m:
            m.setattr(review.ledger, "record_inbound", power_cut)
            with pytest.raises(OSError):
                ingest(review)
        report = ingest(review, hour=11)
        assert report.processed == 1
        assert len(queued(review, "acknowledgement")) == 1 and len(review.library.list(REF, "returns")) == 1
        assert request(review).status is RequestStatus.RETURNED and not review.mailbox.inbox


class TestHostileReturns:
    def test_a_macro_document_is_quarantined_with_its_reason_and_the_request_stays_open(self, review):
        review.mailbox.deliver(a_return(review, content=docm()))
        ingest(review)
        assert request(review).status is RequestStatus.SENT
        assert review.library.list(REF, "returns") == []
        (reason,) = filed(review, MailFolder.QUARANTINE).values()
        assert "macro" in reason.lower()
        [alert] = queued(review, "team_alert")
        assert alert.message.to == (TEAM,) and "quarantined" in alert.message.subject
        assert queued(review, "acknowledgement") == []

