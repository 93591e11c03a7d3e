"""Collation: the merged chronology is sorted and stable, identical rows from one agency appear once,
good practice and learning are grouped by agency, and nothing unreadable is dropped; collate_returns
writes a new numbered draft only when the returns change."""

from __future__ import annotations

import random
from datetime import date

from bot.cases import add_case
from bot.documents.collate import collate
from bot.documents.contexts import next_draft_name
from bot.documents.returns import ChronologyRow, ParsedReturn
from bot.domain.model import Case
from bot.handlers.collate_returns import collate_returns
from bot.handlers.start_rapid_review import start_rapid_review
from bot.ports import AuditEvent
from tests.conftest import london

NAMES = {"POL": "Police", "HLT": "Health", "CSC": "Social care"}


def parsed(agency: str, rows: list[tuple[date | None, str]], **kw: object) -> ParsedReturn:
    fields: dict[str, object] = dict(agency=agency, involvement=True, summary="", analysis="", lived_experience="",
                                     good_practice=(), learning=(), actions=(), criteria_view="", author="",
                                     unread=(), flags=())
    fields.update(kw)
    chronology = tuple(ChronologyRow(d, d.isoformat() if d else "sometime", event, "role", "outcome")
                       for d, event in rows)
    return ParsedReturn(chronology=chronology, **fields)  # type: ignore[arg-type]


class TestCollate:
    def test_rows_from_every_agency_are_merged_in_date_order_with_the_agency_named(self):
        out = collate([parsed("POL", [(date(2026, 11, 14), "call-out")]),
                       parsed("HLT", [(date(2026, 9, 9), "visit"), (date(2026, 12, 1), "clinic")])], NAMES)
        assert [(r["date"], r["agency"], r["event"]) for r in out.chronology] == [
            ("9 September 2026", "Health", "visit"), ("14 November 2026", "Police", "call-out"),
            ("1 December 2026", "Health", "clinic")]

    def test_the_order_is_the_same_whatever_order_the_returns_arrive_in(self):
        returns = [parsed("POL", [(date(2026, 11, 14), "a"), (date(2026, 11, 14), "b")]),
                   parsed("HLT", [(date(2026, 11, 14), "c")]), parsed("CSC", [(None, "d"), (date(2026, 1, 2), "e")])]
        first = collate(returns, NAMES).chronology
        for seed in range(5):
            shuffled = returns[:]
            random.Random(seed).shuffle(shuffled)
            assert collate(shuffled, NAMES).chronology == first
        assert first[-1]["event"] == "d"  # undated rows go last, in the agency's own order

    def test_identical_rows_from_one_agency_appear_once_but_not_across_agencies(self):
        same = (date(2026, 11, 14), "strategy meeting")
        out = collate([parsed("POL", [same, same]), parsed("HLT", [same])], NAMES)
        assert [r["agency"] for r in out.chronology] == ["Health", "Police"]

    def test_good_practice_and_learning_are_grouped_by_agency(self):
        out = collate([parsed("POL", [], good_practice=("quick referral", "quick referral"), learning=("curiosity",)),
                       parsed("HLT", [], good_practice=("follow-up",))], NAMES)
        assert out.good_practice == [{"agency": "Health", "entries": ["follow-up"]},
                                     {"agency": "Police", "entries": ["quick referral"]}]
        assert out.learning == [{"agency": "Police", "entries": ["curiosity"]}]

    def test_what_could_not_be_read_is_carried_with_the_agency(self):
        out = collate([parsed("POL", [], unread=("a letter pasted at the end",), flags=("no chronology table",))],
                      NAMES)
        assert out.unread == [{"agency": "Police", "text": "a letter pasted at the end"},
                              {"agency": "Police", "text": "no chronology table"}]


class TestDraftNames:
    def test_the_first_draft_is_v1_and_the_next_follows_the_highest(self):
        assert next_draft_name("RR-2026-014", []) == ("Rapid Review Report - RR-2026-014 - draft v1.docx", 1)
        existing = ["reports/Rapid Review Report - RR-2026-014 - draft v2.docx",
                    "reports/Rapid Review Report - RR-2026-014 - draft v10.docx", "reports/notes.docx"]
        assert next_draft_name("RR-2026-014", existing)[1] == 11


class TestCollateReturns:
    def started(self, app):  # type: ignore[no-untyped-def]
        p = app.partnership()
        case = Case(ref="RR-2026-014", partnership=p.id, child="Child A", la_aware=date(2026, 12, 22),
                    sin_submitted=date(2026, 12, 23), agencies=("POL", "HLT"))
        add_case(app.register, p, case, by=p.team_address, at=london(date(2026, 12, 22)))
        start_rapid_review(london(date(2026, 12, 23)), deps=app.deps())

    def saved(self, app, path, data):  # type: ignore[no-untyped-def]
        """A return kept as ingest keeps one: the file, then its audit event."""
        app.library.save("RR-2026-014", path, data)
        app.ledger.audit(AuditEvent(london(date(2026, 12, 31)), "return_saved", case_ref="RR-2026-014",
                                    agency=path.split("/")[1].split("-")[0], detail=path))

    def test_a_new_return_makes_a_new_draft_and_no_change_makes_none(self, app):
        from tests.hostile_docs import valid_docx

        self.started(app)
        self.saved(app, "returns/POL-20261231-aaaa-1.docx", valid_docx())
        first = collate_returns(london(date(2026, 12, 31), 14), deps=app.deps())
        again = collate_returns(london(date(2026, 12, 31), 15), deps=app.deps())
        self.saved(app, "returns/HLT-20270105-bbbb-1.pdf", b"%PDF-1.4 a scanned letter")
        second = collate_returns(london(date(2027, 1, 5), 10), deps=app.deps())
        assert first.drafted == ["Rapid Review Report - RR-2026-014 - draft v1.docx"]
        assert again.drafted == []
        assert second.drafted == ["Rapid Review Report - RR-2026-014 - draft v2.docx"]

    def test_an_idle_pass_does_not_list_the_library(self, app):
        from tests.hostile_docs import valid_docx

        self.started(app)
        self.saved(app, "returns/POL-20261231-aaaa-1.docx", valid_docx())
        collate_returns(london(date(2026, 12, 31), 14), deps=app.deps())
        listed = []
        real = app.library.list
        app.library.list = lambda *a, **k: listed.append(a) or real(*a, **k)
        for hour in (15, 16, 17):
            assert collate_returns(london(date(2026, 12, 31), hour), deps=app.deps()).drafted == []
        assert listed == []

    def test_a_return_saved_by_hand_is_collated_once_its_request_changes(self, app):
        from bot.cases import requests_of, update_request
        from bot.domain.model import RequestStatus
        from tests.hostile_docs import valid_docx

        self.started(app)
        assert collate_returns(london(date(2026, 12, 31), 13), deps=app.deps()).drafted == []  # nothing yet
        app.library.save("RR-2026-014", "returns/HLT-by-hand.docx", valid_docx())
        assert collate_returns(london(date(2026, 12, 31), 14), deps=app.deps()).drafted == []
        hlt = next(r for r in requests_of(app.register, "RR-2026-014") if r.request.agency == "HLT")
        update_request(app.register, hlt, by="coordinator@northshire-scp.example", at=london(date(2026, 12, 31)),
                       status=RequestStatus.RETURNED, returned=date(2026, 12, 31))
        after = collate_returns(london(date(2026, 12, 31), 15), deps=app.deps())
        assert after.drafted == ["Rapid Review Report - RR-2026-014 - draft v1.docx"]

    def test_a_pdf_or_broken_return_is_listed_for_a_person_not_dropped(self, app):
        import io

        import docx

        self.started(app)
        app.library.save("RR-2026-014", "returns/HLT-20270105-bbbb-1.pdf", b"%PDF-1.4 a scanned letter")
        app.library.save("RR-2026-014", "returns/POL-20270105-cccc-1.docx", b"PK\x03\x04 broken")
        collate_returns(london(date(2027, 1, 5), 10), deps=app.deps())
        data = app.library.read("RR-2026-014", "reports/Rapid Review Report - RR-2026-014 - draft v1.docx")
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert "returns/HLT-20270105-bbbb-1.pdf is not a Word form" in text
        assert "Northshire Police" in text and "POL-20270105-cccc-1.docx" in text
