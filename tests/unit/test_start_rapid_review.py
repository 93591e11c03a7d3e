"""start_rapid_review on in-memory fakes: one request per involved agency with its form, the domestic
abuse service, the held NCCU notification, the "started" notice, and re-runs that send nothing new."""

from __future__ import annotations

import io
from datetime import date

import docx

from bot.bootstrap import tick
from bot.cases import add_case, find_case, requests_of, update_case
from bot.domain.model import Case, RequestStatus, Stage
from bot.handlers.send_outbox import AllowList, send_outbox
from bot.handlers.start_rapid_review import start_rapid_review
from bot.ports import OutboxStatus
from tests.conftest import london

AWARE = date(2026, 12, 17)
SIN = date(2026, 12, 18)  # Friday: returns due 7 working days later, Thu 31 Dec (25, 28 Dec are bank holidays)
RETURN_DUE = date(2026, 12, 31)
NCCU = "nccu@home-office.example"


def add(app, ref="RR-2026-014", **fields):  # type: ignore[no-untyped-def]
    p = app.partnership()
    fields.setdefault("agencies", ("POL", "HLT"))
    fields.setdefault("sin_submitted", SIN)
    case = Case(ref=ref, partnership=p.id, child="Child A", la_aware=AWARE, **fields)
    return add_case(app.register, p, case, by=p.team_address, at=london(AWARE))


def start(app, day=SIN, hour=9):  # type: ignore[no-untyped-def]
    return start_rapid_review(london(day, hour), deps=app.deps())


def outbox(app, purpose):  # type: ignore[no-untyped-def]
    return [o for o in app.ledger.outbox() if o.purpose == purpose]


def send(app, settings, day=SIN, hour=9):  # type: ignore[no-untyped-def]
    return send_outbox(london(day, hour), ledger=app.ledger, mailbox=app.mailbox,
                       allow=AllowList(settings.addresses()))


class TestStartRapidReview:
    def test_sends_one_request_to_the_lead_of_each_involved_agency(self, app):
        add(app)
        report = start(app)
        requests = outbox(app, "information_request")
        assert sorted(o.message.to for o in requests) == [("named.nurse@northshire-health.example",),
                                                          ("safeguarding.reviews@northshire-police.example",)]
        assert report.started == ["RR-2026-014"] and report.requests == 2

    def test_each_request_carries_the_correlation_token_and_the_classification_in_its_subject(self, app):
        add(app)
        start(app)
        police = next(o for o in outbox(app, "information_request") if o.key.endswith(":POL"))
        token = next(r.request.token for r in requests_of(app.register, "RR-2026-014") if r.request.agency == "POL")
        assert police.message.subject.startswith("OFFICIAL-SENSITIVE: ")
        assert police.message.subject.endswith(f"[CSPR {token}]")

    def test_each_request_attaches_a_word_form_for_that_agency_and_case(self, app):
        add(app)
        start(app)
        police = next(o for o in outbox(app, "information_request") if o.key.endswith(":POL"))
        (form,) = police.message.attachments
        assert form.name.endswith(".docx") and "RR-2026-014" in form.name
        document = docx.Document(io.BytesIO(form.data))
        cells = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
        assert cells["Case reference"] == "RR-2026-014"
        assert cells["Agency"] == "Northshire Police"
        assert cells["Return by"] == "31 December 2026"

    def test_the_return_is_due_seven_working_days_after_the_request_skipping_christmas(self, app):
        add(app)
        start(app)
        requests = requests_of(app.register, "RR-2026-014")
        assert {(r.request.agency, r.request.status, r.request.sent, r.request.due) for r in requests} == {
            ("POL", RequestStatus.SENT, SIN, RETURN_DUE), ("HLT", RequestStatus.SENT, SIN, RETURN_DUE)}
        police = next(o for o in outbox(app, "information_request") if o.key.endswith(":POL"))
        assert "Return by: Thursday 31 December 2026" in police.message.text

    def test_moves_the_case_to_rapid_review_in_progress_and_audits_the_start(self, app):
        add(app)
        start(app)
        case = find_case(app.register, "RR-2026-014").case
        assert case.stage is Stage.RAPID_REVIEW_IN_PROGRESS and case.rapid_review_started
        assert "rapid_review_started" in [e.action for e in app.ledger.audit_trail("RR-2026-014")]

    def test_a_domestic_abuse_flag_adds_the_specialist_domestic_abuse_service(self, app):
        add(app, domestic_abuse=True)
        start(app)
        assert sorted(r.request.agency for r in requests_of(app.register, "RR-2026-014")) == ["DAS", "HLT", "POL"]
        das = next(o for o in outbox(app, "information_request") if o.key.endswith(":DAS"))
        assert das.message.to == ("safeguarding@northshire-das.example",)
        assert find_case(app.register, "RR-2026-014").case.agencies == ("POL", "HLT", "DAS")

    def test_without_the_flag_the_domestic_abuse_service_is_not_asked(self, app):
        add(app)
        start(app)
        assert "DAS" not in {r.request.agency for r in requests_of(app.register, "RR-2026-014")}

    def test_a_home_office_flag_queues_the_nccu_notification_held_for_a_lead(self, app):
        add(app, home_office_input=True)
        start(app)
        (nccu,) = outbox(app, "nccu_notification")
        assert nccu.status is OutboxStatus.HELD
        assert nccu.message.to == (NCCU,)

    def test_the_held_nccu_notification_is_sent_only_once_released(self, app, settings):
        add(app, home_office_input=True)
        start(app)
        send(app, settings)
        assert not [m for m in app.mailbox.sent_messages() if NCCU in m.to]
        app.ledger.release("nccu:RR-2026-014", at=london(SIN, 11))
        send(app, settings, hour=11)
        send(app, settings, hour=12)
        assert len([m for m in app.mailbox.sent_messages() if NCCU in m.to]) == 1

    def test_no_nccu_notification_without_the_home_office_flag(self, app):
        add(app)
        start(app)
        assert outbox(app, "nccu_notification") == []

    def test_the_leads_and_the_scrutineer_get_one_started_notice_with_the_key_dates(self, app):
        add(app)
        start(app)
        (notice,) = outbox(app, "rapid_review_started")
        assert "scrutineer@northshire-scp.example" in notice.message.to
        assert "crg.chair@northshire-scp.example" in notice.message.to
        assert len(notice.message.to) == len(app.partnership().leads)
        assert "Agency returns due:       Thursday 31 December 2026" in notice.message.text
        assert "Rapid review to Panel by: Wednesday 13 January 2027" in notice.message.text

    def test_running_again_sends_nothing_new(self, app, settings):
        add(app, domestic_abuse=True, home_office_input=True)
        start(app)
        before = len(app.ledger.outbox())
        report = start(app, hour=10)
        start(app, day=date(2026, 12, 21))
        assert len(app.ledger.outbox()) == before
        assert report.requests == 0 and report.started == []
        assert len(requests_of(app.register, "RR-2026-014")) == 3

    def test_several_ticks_send_each_agency_exactly_one_request(self, app):
        add(app)
        for minute in (0, 5, 10):
            tick(app, london(SIN, 9, minute))
        sent = [m for m in app.mailbox.sent_messages() if "information request" in m.subject]
        assert len(sent) == 2

    def test_an_agency_added_to_the_case_later_gets_its_request_on_the_next_run(self, app):
        add(app)
        start(app)
        p = app.partnership()
        update_case(app.register, p, "RR-2026-014", {"agencies": ("POL", "HLT", "EDU")}, by=p.team_address,
                    at=london(date(2026, 12, 21), 10))
        report = start(app, day=date(2026, 12, 21), hour=11)
        (education,) = [r.request for r in requests_of(app.register, "RR-2026-014") if r.request.agency == "EDU"]
        assert report.requests == 1
        assert education.due == date(2027, 1, 4)  # 7 working days from Mon 21 Dec
        assert [o.key for o in outbox(app, "information_request")][-1] == "request:RR-2026-014:EDU"
        assert len(outbox(app, "rapid_review_started")) == 1

    def test_a_referred_case_without_a_sin_is_not_started(self, app):
        add(app, sin_submitted=None)
        report = start(app)
        assert report.started == [] and app.ledger.outbox() == []
        assert requests_of(app.register, "RR-2026-014") == []
        assert find_case(app.register, "RR-2026-014").case.stage is Stage.REFERRED

    def test_a_referred_case_marked_started_by_a_person_is_started(self, app):
        add(app, sin_submitted=None, rapid_review_started=True)
        report = start(app)
        assert report.started == ["RR-2026-014"]
        assert len(outbox(app, "information_request")) == 2
