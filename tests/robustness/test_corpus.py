"""ingest_mail over a corpus of odd real-world messages (tests/robustness/corpus.py): each is processed without an
exception, recorded exactly once, filed out of the inbox, and lands where a person would expect it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.adapters.memory import MemoryMailbox
from bot.bootstrap import App
from bot.cases import add_case
from bot.documents.render import DocumentTemplates, Rendered
from bot.domain.model import Case
from bot.handlers.ingest_mail import inbound_key, ingest_mail
from bot.handlers.start_rapid_review import start_rapid_review
from bot.mail.mime import parse_message
from bot.ports import MailFolder
from tests.conftest import london
from tests.robustness.corpus import REF, REQUEST_ID, SUBJECT, corpus

SIN = date(2027, 1, 5)
REPLY_DAY = date(2027, 1, 7)
CORPUS = corpus()


@pytest.fixture(autouse=True)
def plain_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request form's content plays no part in ingest; rendering it would be most of this file's time."""
    monkeypatch.setattr(DocumentTemplates, "render", lambda self, name, context: Rendered(b"PK\x03\x04 form", 0))


@pytest.fixture
def review(app: App) -> App:
    """The app after a rapid review for REF sent its requests to the police and health."""
    p = app.partnership()
    case = Case(ref=REF, partnership=p.id, child="Child A", la_aware=SIN, sin_submitted=SIN, agencies=("POL", "HLT"))
    add_case(app.register, p, case, by=p.team_address, at=london(SIN))
    start_rapid_review(london(SIN, 10), deps=app.deps())
    return app


def folder_of(app: App, message_id: str) -> list[MailFolder]:
    assert isinstance(app.mailbox, MemoryMailbox)
    return [folder for folder, messages in app.mailbox.folders.items() if message_id in messages]


class TestTheCorpus:
    def test_has_a_case_for_every_kind_of_odd_message_and_unique_names(self):
        names = [name for name, _, _ in CORPUS]
        assert len(names) == len(set(names)) >= 30
        assert {"bounce", "delivery_delayed", "auto_reply", "agency_return", "nil_return", "needs_attention",
                "panel_reply", "quarantined"} <= {kind for _, _, kind in CORPUS}

    def test_is_built_against_the_requests_the_bot_really_sends(self, review):
        request = next(o.message for o in review.ledger.outbox() if o.key == f"request:{REF}:POL")
        assert (request.subject, request.message_id) == (SUBJECT, REQUEST_ID)


class TestIngestingOddMessages:
    @pytest.mark.parametrize(("raw", "expected"), [pytest.param(raw, kind, id=name) for name, raw, kind in CORPUS])
    def test_is_processed_once_filed_out_of_the_inbox_and_classed_sensibly(self, review, raw, expected):
        mid = review.mailbox.deliver(raw)
        report = ingest_mail(london(REPLY_DAY, 10), deps=review.deps(), mailbox=review.mailbox)
        outcome = review.ledger.inbound_outcome(inbound_key(parse_message(mid, raw)))
        assert outcome is not None, "not recorded"
        kind, _, folder = outcome.partition(":")
        assert (report.processed, report.replays) == (1, 0)
        assert not review.mailbox.inbox
        assert folder_of(review, mid) == [MailFolder(folder)]
        assert kind == expected

    def test_the_whole_corpus_in_one_run_is_each_processed_once_and_again_not_at_all(self, review):
        ids = [review.mailbox.deliver(raw) for _, raw, _ in CORPUS]
        first = ingest_mail(london(REPLY_DAY, 10), deps=review.deps(), mailbox=review.mailbox)
        for mid in ids:  # the move was lost for every message: the mailbox offers them all again
            folder = folder_of(review, mid)[0]
            assert isinstance(review.mailbox, MemoryMailbox)
            review.mailbox.inbox[mid] = review.mailbox.folders[folder].pop(mid)[0]
        second = ingest_mail(london(REPLY_DAY, 11), deps=review.deps(), mailbox=review.mailbox)
        assert (first.processed, first.replays) == (len(CORPUS), 0)
        assert (second.processed, second.replays) == (0, len(CORPUS))
        assert not review.mailbox.inbox and all(len(folder_of(review, mid)) == 1 for mid in ids)
