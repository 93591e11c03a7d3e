"""Referral intake on in-memory fakes: a serious incident referral form emailed to the shared mailbox
starts a case at stage "referred" with its SIN decision deadline (process.md §2.3, T1)."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from bot.adapters.memory import MemoryMailbox
from bot.bootstrap import App
from bot.cases import add_case, all_cases, find_case
from bot.documents.examples import filled_referral
from bot.domain.model import Case, Stage
from bot.handlers.ingest_mail import IngestReport, ingest_mail
from bot.handlers.remind_leads import remind_leads
from bot.ports import MailFolder
from tests.conftest import london
from tests.hostile_docs import docm, valid_docx

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
POLICE = "safeguarding.reviews@northshire-police.example"
ARRIVED = date(2027, 1, 12)


def referral(*, sender: str = POLICE, content: bytes | None = None,
             message_id: str = "<ref-1@northshire-police.example>", **answers: str) -> bytes:
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = "cspr-bot@northshire-scp.example"
    mime["Subject"] = "Serious incident referral"
    mime["Date"] = "Tue, 12 Jan 2027 09:00:00 +0000"
    mime["Message-ID"] = message_id
    mime.set_content("Our referral is attached.")
    form = content if content is not None else filled_referral(
        **{"child": "Child B", "la_aware": "11/01/2027", "incident": "10/01/2027", "agencies": "POL, CSC, HLT",
           **answers})
    mime.add_attachment(form, maintype="application", subtype=DOCX_TYPE.partition("/")[2], filename="referral.docx")
    return bytes(mime)


def ingest(app: App, hour: int = 10) -> IngestReport:
    return ingest_mail(london(ARRIVED, hour), deps=app.deps(), mailbox=app.mailbox)


def filed(app: App, folder: MailFolder) -> dict[str, str]:
    assert isinstance(app.mailbox, MemoryMailbox)
    return {mid: reason for mid, (_, reason) in app.mailbox.folders[folder].items()}


def alerts(app: App) -> list[str]:
    return [o.message.text for o in app.ledger.outbox() if o.purpose == "team_alert"]


class TestAReferralStartsACase:
    def test_a_referral_form_from_an_agency_starts_a_case_at_stage_referred(self, app):
        app.mailbox.deliver(referral())
        report = ingest(app)
        assert report.outcomes == {"referral": 1}
        case = find_case(app.register, "RR-2027-001").case
        assert (case.child, case.stage, case.la_aware, case.incident) == (
            "Child B", Stage.REFERRED, date(2027, 1, 11), date(2027, 1, 10))
        assert case.agencies == ("POL", "CSC", "HLT") and case.attention == ""
        assert len(filed(app, MailFolder.PROCESSED)) == 1

    def test_the_places_flags_and_age_on_the_form_reach_the_case(self, app):
        app.mailbox.deliver(referral(looked_after="yes", care_leaver="no", domestic_abuse="yes", age="15",
                                     incident_la="Southshire Council", residence_la="Northshire County Council",
                                     responsible_la="Northshire County Council"))
        ingest(app)
        case = find_case(app.register, "RR-2027-001").case
        assert case.looked_after and not case.care_leaver and case.domestic_abuse and case.age == 15
        assert (case.incident_la, case.residence_la, case.responsible_la) == (
            "Southshire Council", "Northshire County Council", "Northshire County Council")

    def test_the_team_and_every_lead_are_told_with_the_sin_decision_deadline(self, app):
        app.mailbox.deliver(referral())
        ingest(app)
        [alert] = [o for o in app.ledger.outbox() if o.purpose == "team_alert"]
        p = app.partnership()
        assert set(alert.message.to) == {p.team_address, *(lead.address for lead in p.leads)}
        assert "started case RR-2027-001 (Child B) at stage referred" in alert.message.text
        assert "Monday 18 January 2027" in alert.message.text  # 5 working days from Mon 11 Jan

    def test_the_sin_decision_deadline_is_in_the_next_morning_digest(self, app):
        app.mailbox.deliver(referral())
        ingest(app)
        remind_leads(london(date(2027, 1, 13), 9), deps=app.deps())
        digest = next(o for o in app.ledger.outbox() if o.purpose == "lead_digest")
        assert "RR-2027-001 (Child B): Serious incident notification to the Panel" in digest.message.text
        assert "Monday 18 January 2027" in digest.message.text

    def test_the_form_is_kept_in_the_case_library_under_a_generated_name(self, app):
        app.mailbox.deliver(referral())
        ingest(app)
        [doc] = app.library.list("RR-2027-001", "referral")
        assert doc.path.startswith("referral/Referral - RR-2027-001 - 20270112-") and doc.path.endswith(".docx")

    def test_the_next_free_reference_is_used(self, app):
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2027-007", partnership=p.id, child="Child Z",
                                       la_aware=date(2027, 1, 4)), by=p.team_address, at=london(date(2027, 1, 4)))
        app.mailbox.deliver(referral())
        ingest(app)
        assert find_case(app.register, "RR-2027-008").case.child == "Child B"


class TestExactlyOnce:
    def test_a_second_copy_of_the_referral_starts_no_second_case(self, app):
        app.mailbox.deliver(referral())
        ingest(app)
        app.mailbox.deliver(referral())  # the sending server's retry: same sender, same Message-ID
        ingest(app, hour=11)
        assert [r.case.ref for r in all_cases(app.register)] == ["RR-2027-001"]

    def test_acting_again_after_a_crash_before_the_message_was_recorded_adds_nothing(self, app):
        from bot.handlers.referrals import take_referral
        from bot.mail.mime import parse_message

        message, form = parse_message("m-1", referral()), filled_referral(child="Child B", la_aware="11/01/2027")
        for hour in (10, 11):  # ingest acts again on a message it had not recorded when it died
            take_referral(london(ARRIVED, hour), message, form, "c" * 16, app.partnership(), "POL", app.deps())
        assert [r.case.ref for r in all_cases(app.register)] == ["RR-2027-001"]
        assert len(alerts(app)) == 1 and len(app.library.list("RR-2027-001", "referral")) == 1
        assert [e.action for e in app.ledger.audit_trail("RR-2027-001")].count("referral_received") == 1

    def test_a_reference_reserved_before_a_crash_is_used_for_the_case(self, app):
        from bot.handlers.referrals import take_referral
        from bot.mail.mime import parse_message

        message = parse_message("m-1", referral())
        app.ledger.set_cursor("referral:" + "a" * 16, "RR-2027-005")  # reserved, then the bot died
        take_referral(london(ARRIVED, 10), message, filled_referral(child="Child B", la_aware="11/01/2027"),
                      "a" * 16, app.partnership(), "POL", app.deps())
        assert [r.case.ref for r in all_cases(app.register)] == ["RR-2027-005"]

    def test_a_reserved_reference_a_person_used_meanwhile_is_not_mistaken_for_the_referral(self, app):
        from bot.handlers.referrals import take_referral
        from bot.mail.mime import parse_message

        p = app.partnership()
        app.ledger.set_cursor("referral:" + "b" * 16, "RR-2027-001")
        add_case(app.register, p, Case(ref="RR-2027-001", partnership=p.id, child="Child Q",
                                       la_aware=date(2027, 1, 8)), by=p.team_address, at=london(date(2027, 1, 8)))
        take_referral(london(ARRIVED, 10), parse_message("m-2", referral()),
                      filled_referral(child="Child B", la_aware="11/01/2027"), "b" * 16, p, "POL", app.deps())
        assert {r.case.ref: r.case.child for r in all_cases(app.register)} == {
            "RR-2027-001": "Child Q", "RR-2027-002": "Child B"}


class TestWhatAPersonMustLookAt:
    def test_what_the_form_cannot_tell_goes_into_the_cases_needs_attention(self, app):
        app.mailbox.deliver(referral(la_aware="31/02/2027", agencies="POL, Northshire Fire Service"))
        ingest(app)
        case = find_case(app.register, "RR-2027-001").case
        assert case.la_aware == ARRIVED  # the day it arrived, until the team corrects it
        assert "no readable date the LA became aware" in case.attention
        assert "agencies not recognised: Northshire Fire Service" in case.attention
        assert case.agencies == ("POL",)
        assert any("check the case first" in text for text in alerts(app))

    def test_a_referral_from_someone_who_is_not_a_partner_needs_a_person_and_starts_nothing(self, app):
        app.mailbox.deliver(referral(sender="someone@elsewhere.example"))
        report = ingest(app)
        assert report.outcomes == {"needs_attention": 1} and all_cases(app.register) == []
        assert "not a partner agency" in next(iter(filed(app, MailFolder.NEEDS_ATTENTION).values()))

    def test_a_macro_document_without_a_case_reference_is_quarantined_with_the_reason(self, app):
        app.mailbox.deliver(referral(content=docm()))
        report = ingest(app)
        assert report.outcomes == {"quarantined": 1} and all_cases(app.register) == []
        assert any("was quarantined" in text for text in alerts(app))

    def test_a_word_document_that_is_not_a_referral_form_needs_a_person_as_before(self, app):
        app.mailbox.deliver(referral(content=valid_docx()))
        report = ingest(app)
        assert report.outcomes == {"needs_attention": 1} and all_cases(app.register) == []
