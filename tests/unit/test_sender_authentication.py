"""Sender authentication: only a reply our own mail service authenticated can complete a request or
count as the Panel's; anything else is quarantined with the reason and the team is told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.bootstrap import build_memory_app
from bot.domain.model import RequestStatus
from bot.mail.authentication import sender_problem
from bot.ports import InboundMessage, MailFolder
from tests.unit.test_ingest_mail import POLICE, a_return, filed, ingest, queued, reply, request, started

EOP = ("spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=northshire-police.example; dkim=pass (signature was "
       "verified) header.d=northshire-police.example;dmarc={dmarc} action=none "
       "header.from=northshire-police.example;compauth={compauth} reason=100")


def message(*headers: tuple[str, str], sender: str = POLICE) -> InboundMessage:
    return InboundMessage(id="m1", internet_message_id="<m1@x.example>", subject="RE: request", sender=sender,
                          received=datetime(2027, 1, 7, tzinfo=UTC), headers=headers)


class TestSenderProblem:
    @pytest.mark.parametrize(("headers", "problem"), [
        pytest.param((("Authentication-Results", EOP.format(dmarc="pass", compauth="pass")),), None,
                     id="dmarc pass"),
        pytest.param((("Authentication-Results", EOP.format(dmarc="bestguesspass", compauth="pass")),), None,
                     id="compauth pass without a DMARC policy"),
        pytest.param((("Authentication-Results", EOP.format(dmarc="fail", compauth="fail")),),
                     "the sender failed authentication (dmarc=fail, compauth=fail)", id="spoofed"),
        pytest.param((), "no Authentication-Results from our mail service", id="no results at all"),
        pytest.param((("Authentication-Results", EOP.format(dmarc="fail", compauth="fail")),
                      ("Authentication-Results", EOP.format(dmarc="pass", compauth="pass"))),
                     "the sender failed authentication (dmarc=fail, compauth=fail)",
                     id="a forged pass below ours does not count"),
        pytest.param((("Sender", "someone@elsewhere.example"),
                      ("Authentication-Results", EOP.format(dmarc="pass", compauth="pass"))),
                     "the From and Sender addresses differ", id="From and Sender disagree"),
    ])
    def test_only_our_services_pass_for_the_from_address_counts(self, headers, problem):
        assert sender_problem(message(*headers)) == problem

    def test_with_an_authserv_id_the_top_header_must_name_our_service(self):
        ours = ("Authentication-Results", "mx.northshire-scp.example; dmarc=pass header.from=police.example")
        theirs = ("Authentication-Results", "mx.attacker.example; dmarc=pass header.from=police.example")
        assert sender_problem(message(ours), authserv_id="mx.northshire-scp.example") is None
        assert "not stamped by our mail service" in str(
            sender_problem(message(theirs), authserv_id="mx.northshire-scp.example"))

    def test_the_local_demo_switch_trusts_mail_without_results_but_never_a_failure(self):
        assert sender_problem(message(), trust_unauthenticated=True) is None
        failed = ("Authentication-Results", EOP.format(dmarc="fail", compauth="fail"))
        assert sender_problem(message(failed), trust_unauthenticated=True) is not None


@pytest.fixture
def strict(settings):  # type: ignore[no-untyped-def]
    """The in-memory app as on Microsoft 365: unauthenticated mail is not trusted."""
    strict_settings = settings.model_copy(update={"bot": settings.bot.model_copy(
        update={"trust_unauthenticated_mail": False})})
    app = build_memory_app(strict_settings)
    started(app)
    yield app
    app.close()


class TestIngestWithAuthentication:
    def test_an_unauthenticated_return_is_quarantined_and_the_request_stays_open(self, strict):
        strict.mailbox.deliver(a_return(strict))
        ingest(strict)
        assert request(strict).status is RequestStatus.SENT
        assert list(filed(strict, MailFolder.QUARANTINE).values()) == [
            "no Authentication-Results from our mail service"]
        assert strict.library.list("RR-2027-003", "returns") == []
        assert queued(strict, "acknowledgement") == []  # nothing goes back to the claimed sender
        [alert] = queued(strict, "team_alert")
        assert "quarantined" in alert.message.subject

    def test_an_authenticated_return_completes_the_request(self, strict):
        strict.mailbox.deliver(a_return(strict, headers={
            "Authentication-Results": EOP.format(dmarc="pass", compauth="pass")}))
        ingest(strict)
        assert request(strict).status is RequestStatus.RETURNED
        assert len(queued(strict, "acknowledgement")) == 1

    def test_a_spoofed_nil_return_cannot_close_a_request(self, strict):
        strict.mailbox.deliver(reply(strict, text="No involvement.", headers={
            "Authentication-Results": EOP.format(dmarc="fail", compauth="fail")}))
        ingest(strict)
        assert request(strict).status is RequestStatus.SENT
        assert "failed authentication" in list(filed(strict, MailFolder.QUARANTINE).values())[0]


class TestAttachmentsByContent:
    """Types are decided by the bytes: a PDF named .docx is kept as a PDF, a program named .docx is refused."""

    def test_a_pdf_sent_with_a_word_name_is_kept_as_a_pdf(self, app):
        from bot.bootstrap import App
        from tests.unit.test_ingest_mail import DOCX_TYPE

        assert isinstance(app, App)
        started(app)
        app.mailbox.deliver(reply(app, attach=("return.docx", DOCX_TYPE), content=b"%PDF-1.7\n1 0 obj\n"))
        ingest(app)
        [saved] = app.library.list("RR-2027-003", "returns")
        assert saved.path.endswith(".pdf") and request(app).status is RequestStatus.RETURNED

    @pytest.mark.parametrize(("content", "reason"), [
        pytest.param(b"MZ\x90\x00 a windows program", "not a Word", id="a program named .docx"),
        pytest.param(b"%PDF-1.7\n/Encrypt 5 0 R\n", "password-protected", id="a password-protected PDF"),
    ])
    def test_what_is_not_a_plain_document_is_quarantined_with_its_reason(self, app, content, reason):
        from tests.unit.test_ingest_mail import DOCX_TYPE

        started(app)
        app.mailbox.deliver(reply(app, attach=("return.docx", DOCX_TYPE), content=content))
        ingest(app)
        assert request(app).status is RequestStatus.SENT
        assert reason in list(filed(app, MailFolder.QUARANTINE).values())[0]
