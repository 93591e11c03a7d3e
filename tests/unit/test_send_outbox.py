"""send_outbox on in-memory fakes: only configured recipients, staging redirection, retry after a failed
send, and nothing sent twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.bootstrap import build_memory_app, tick
from bot.cases import add_case
from bot.domain.model import Case
from bot.handlers.common import queue
from bot.handlers.send_outbox import AllowList, send_outbox
from bot.ports import OutboundMessage, OutboxStatus
from tests.conftest import london

DAY = date(2026, 12, 23)
POLICE_LEAD = "safeguarding.reviews@northshire-police.example"
POLICE_ESCALATION = "pvp.lead@northshire-police.example"
STAGING = "staging-inbox@northshire-scp.example"


def message(to=(POLICE_LEAD,), cc=(), html=None):  # type: ignore[no-untyped-def]
    return OutboundMessage(to=tuple(to), cc=tuple(cc), subject="OFFICIAL-SENSITIVE: Test for RR-2026-014",
                           text="Body for Child A.", html=html)


def put(app, key="test:1", msg=None, hour=9):  # type: ignore[no-untyped-def]
    return queue(app.ledger, key, msg or message(), now=london(DAY, hour), case_ref="RR-2026-014", purpose="test")


def send(app, settings, hour=9, minute=0, redirect_to=None):  # type: ignore[no-untyped-def]
    return send_outbox(london(DAY, hour, minute), ledger=app.ledger, mailbox=app.mailbox,
                       allow=AllowList(settings.addresses()), redirect_to=redirect_to)


def status(app, key):  # type: ignore[no-untyped-def]
    return next(o for o in app.ledger.outbox() if o.key == key).status


@dataclass
class FlakyMailbox:
    """A mailbox whose first `failures` sends raise, as a network timeout would."""

    inner: object
    failures: int = 1

    def send(self, msg, *, key, at=None, first_attempt=False):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise TimeoutError("the mail server did not answer")
        return self.inner.send(msg, key=key, at=at, first_attempt=first_attempt)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


class TestSendOutbox:
    def test_sends_a_pending_message_to_its_configured_recipients(self, app, settings):
        put(app, msg=message(cc=(POLICE_ESCALATION,)))
        report = send(app, settings)
        (sent,) = app.mailbox.sent_messages()
        assert sent.to == (POLICE_LEAD,) and sent.cc == (POLICE_ESCALATION,)
        assert status(app, "test:1") is OutboxStatus.SENT
        assert report.sent == 1 and report.purposes == {"test": 1}
        assert "sent" in [e.action for e in app.ledger.audit_trail("RR-2026-014")]

    def test_refuses_a_recipient_not_named_in_the_configuration(self, app, settings):
        put(app, msg=message(cc=("someone@elsewhere.example",)))
        report = send(app, settings)
        row = next(o for o in app.ledger.outbox() if o.key == "test:1")
        assert row.status is OutboxStatus.FAILED and "not named in configuration" in row.error
        assert "someone@elsewhere.example" not in row.error
        assert report.refused == 1 and report.sent == 0
        assert app.mailbox.sent_messages() == [] and app.mailbox.send_calls == 0
        refused = [e for e in app.ledger.audit_trail("RR-2026-014") if e.action == "recipient_refused"]
        assert len(refused) == 1 and refused[0].outbox_key == "test:1"

    def test_a_refused_message_is_not_tried_again(self, app, settings):
        put(app, msg=message(to=("someone@elsewhere.example",)))
        send(app, settings)
        send(app, settings, hour=10)
        assert app.mailbox.send_calls == 0
        assert [e.action for e in app.ledger.audit_trail("RR-2026-014")].count("recipient_refused") == 1

    def test_a_refused_message_does_not_hold_up_the_others(self, app, settings):
        put(app, "test:1", message(to=("someone@elsewhere.example",)))
        put(app, "test:2", message())
        report = send(app, settings)
        assert report.refused == 1 and report.sent == 1
        assert status(app, "test:2") is OutboxStatus.SENT

    def test_recipients_are_compared_without_regard_to_letter_case(self, app, settings):
        put(app, msg=message(to=("Safeguarding.Reviews@Northshire-Police.example",)))
        report = send(app, settings)
        assert report.sent == 1 and report.refused == 0

    def test_redirect_sends_everything_to_one_address_naming_the_real_recipients(self, app, settings):
        put(app, msg=message(cc=(POLICE_ESCALATION,), html="<p>Body for Child A.</p>"))
        send(app, settings, redirect_to=STAGING)
        (sent,) = app.mailbox.sent_messages()
        assert sent.to == (STAGING,) and sent.cc == ()
        assert POLICE_LEAD in sent.text and POLICE_ESCALATION in sent.text
        assert sent.text.endswith("Body for Child A.")
        assert POLICE_LEAD in sent.html and sent.html.endswith("<p>Body for Child A.</p>")

    def test_redirect_all_to_in_the_configuration_redirects_a_whole_tick(self, settings):
        staging = settings.model_copy(update={"bot": settings.bot.model_copy(update={"redirect_all_to": STAGING})})
        app = build_memory_app(staging)
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=DAY,
                                       sin_submitted=DAY, agencies=("POL", "HLT")), by=p.team_address, at=london(DAY))
        tick(app, london(DAY))
        sent = app.mailbox.sent_messages()
        assert len(sent) == 3  # two requests and the "started" notice
        assert all(m.to == (STAGING,) and m.cc == () for m in sent)
        assert any(POLICE_LEAD in m.text for m in sent)
        app.close()

    def test_a_redirected_message_to_an_unconfigured_recipient_is_still_refused(self, app, settings):
        put(app, msg=message(to=("someone@elsewhere.example",)))
        report = send(app, settings, redirect_to=STAGING)
        assert report.refused == 1 and app.mailbox.sent_messages() == []

    def test_a_failed_send_stays_pending_and_the_next_run_sends_it_once(self, app, settings):
        flaky = FlakyMailbox(app.mailbox)
        put(app)
        first = send_outbox(london(DAY, 9), ledger=app.ledger, mailbox=flaky, allow=AllowList(settings.addresses()))
        assert first.failed == 1 and first.sent == 0
        assert status(app, "test:1") is OutboxStatus.PENDING and app.mailbox.sent_messages() == []
        second = send_outbox(london(DAY, 9, 1), ledger=app.ledger, mailbox=flaky,
                             allow=AllowList(settings.addresses()))
        send_outbox(london(DAY, 9, 2), ledger=app.ledger, mailbox=flaky, allow=AllowList(settings.addresses()))
        assert second.sent == 1
        assert len(app.mailbox.sent_messages()) == 1 and app.mailbox.send_calls == 1
        assert status(app, "test:1") is OutboxStatus.SENT

    def test_a_failed_send_does_not_hold_up_the_messages_after_it(self, app, settings):
        flaky = FlakyMailbox(app.mailbox)
        put(app, "test:1")
        put(app, "test:2")
        report = send_outbox(london(DAY, 9), ledger=app.ledger, mailbox=flaky, allow=AllowList(settings.addresses()))
        assert report.failed == 1 and report.sent == 1
        assert status(app, "test:1") is OutboxStatus.PENDING and status(app, "test:2") is OutboxStatus.SENT

    def test_a_held_message_is_not_sent(self, app, settings):
        queue(app.ledger, "nccu:RR-2026-014", message(to=("nccu@home-office.example",)), now=london(DAY),
              case_ref="RR-2026-014", purpose="nccu_notification", held=True)
        send(app, settings)
        assert app.mailbox.sent_messages() == []
        assert status(app, "nccu:RR-2026-014") is OutboxStatus.HELD

    def test_a_sent_message_is_not_sent_again(self, app, settings):
        put(app)
        send(app, settings)
        report = send(app, settings, hour=10)
        assert report.sent == 0 and app.mailbox.send_calls == 1

    def test_a_tick_at_the_same_moment_twice_sends_nothing_new(self, app):
        p = app.partnership()
        add_case(app.register, p, Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=DAY,
                                       sin_submitted=DAY, agencies=("POL", "HLT")), by=p.team_address, at=london(DAY))
        now = london(DAY, 9)
        tick(app, now)
        sent, calls = len(app.mailbox.sent_messages()), app.mailbox.send_calls
        report = tick(app, now)
        assert sent == 3
        assert len(app.mailbox.sent_messages()) == sent and app.mailbox.send_calls == calls
        assert report["send_outbox"].sent == 0


class TestDrainOrder:
    def test_after_an_outage_the_earliest_deadline_goes_first(self, app, settings):
        from datetime import date

        from bot.handlers.send_outbox import AllowList, send_outbox
        from bot.ports import OutboundMessage
        from tests.conftest import london

        now = london(date(2027, 1, 18), 9)
        panel = settings.panel.address
        for key, due in (("digest", None), ("chase", date(2027, 1, 20)), ("panel", date(2027, 1, 19))):
            app.ledger.enqueue(key, OutboundMessage(to=(panel,), subject=key, text="x"), case_ref="RR-2026-014",
                               purpose=key, at=now, due_by=due)
        send_outbox(now, ledger=app.ledger, mailbox=app.mailbox, allow=AllowList(settings.addresses()))
        assert [m.subject for m in app.mailbox.sent_messages()] == ["panel", "chase", "digest"]
