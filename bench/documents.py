"""Documents: the rapid review report rendered big (15 agencies, 300 chronology rows) against the small example
report; one returned form parsed against merely opening it with python-docx; and what `collate_returns` does
for one case when its 15 returns are in (parse the 15 forms, build the report's context, render it) against the
same report rendered with no returns.

    .venv/bin/python bench/documents.py

Everything runs in this process on bytes in memory (the library read and save, and the ledger writes, of the
handler are left out). The filled forms are tests/filled_forms.py's VARIANTS, the ways agencies fill the form in.
Nothing here is asserted.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import Results, samples  # noqa: E402

KEY = "documents"
RUNS = 7


def per_item(fn: Callable[[], object], n: int, runs: int) -> list[float]:
    """Milliseconds per item of `fn`, which handles `n` items, `runs` times."""
    return [s / n * 1000 for s in samples(fn, runs)]


def ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def big_report(small: dict[str, Any]) -> dict[str, Any]:
    agencies = [{"name": f"Agency {i:02d}", "status": "returned", "received": "5 January 2027", "explanation": ""}
                for i in range(15)]
    rows = [{"date": f"{1 + i % 28} March 2026", "agency": f"Agency {i % 15:02d}", "event": f"Contact {i}",
             "role": "Practitioner", "outcome": "Recorded"} for i in range(300)]
    return {**small, "agencies": agencies, "chronology": rows}


def run(results: Results) -> None:
    import docx

    from bench.scale import settings_for
    from bot.adapters.memory import MemoryCaseRegister
    from bot.cases import add_request, requests_of
    from bot.documents import contexts
    from bot.documents.examples import EXAMPLES
    from bot.documents.render import DocumentTemplates
    from bot.documents.returns import parse_return
    from bot.domain.correlation import token_for
    from bot.domain.model import AgencyRequest, Case, RequestStatus, Stage
    from bot.domain.records import LISTS
    from tests.filled_forms import POLICE, VARIANTS, Answers, fill

    results.section(KEY, "Documents", "Word documents in memory, in this process: the report as `collate_returns` "
                    "renders it, and the agencies' returned forms as it reads them (tests/filled_forms.py VARIANTS: "
                    "the ways agencies fill the form in).")
    templates = DocumentTemplates()
    small = EXAMPLES["rapid_review_report"]
    big = big_report(small)
    templates.render("rapid_review_report", small)  # the template's first load and parse, paid once per process
    results.add(KEY, "report render, the example (2 agencies, 2 rows)",
                ms(samples(lambda: templates.render("rapid_review_report", small), RUNS)), "ms")
    results.add(KEY, "report render, 15 agencies, 300 chronology rows",
                ms(samples(lambda: templates.render("rapid_review_report", big), RUNS)), "ms",
                baseline="report render, the example (2 agencies, 2 rows)")

    form = templates.render("information_request", EXAMPLES["information_request"]).data
    filled = [make(form) for make, _ in VARIANTS.values()]
    results.add(KEY, "open one returned form with python-docx",
                per_item(lambda: [docx.Document(io.BytesIO(f)) for f in filled], len(filled), RUNS), "ms",
                note=f"mean of the {len(filled)} VARIANTS per run")
    results.add(KEY, "parse one returned form (parse_return)",
                per_item(lambda: [parse_return(f, "POL") for f in filled], len(filled), RUNS), "ms",
                baseline="open one returned form with python-docx", note=f"mean of the {len(filled)} VARIANTS per run")

    # one case of a partnership with 15 agencies, every request returned; the forms rendered for each agency
    settings = settings_for(1)
    p = settings.partnerships[0].to_domain()
    sin, today = date(2027, 1, 4), date(2027, 1, 15)
    case = Case(ref="PAA-2027-001", partnership=p.id, child="Child A", la_aware=date(2026, 12, 30), sin_submitted=sin,
                agencies=tuple(a.code for a in p.agencies), stage=Stage.RAPID_REVIEW_IN_PROGRESS,
                rapid_review_started=True)
    register = MemoryCaseRegister(LISTS)
    due = date(2027, 1, 13)
    for a in p.agencies:
        add_request(register, AgencyRequest(case.ref, a.code, token_for(case.ref, a.code).value,
                                            RequestStatus.RETURNED, sin, due, returned=date(2027, 1, 12)),
                    by="cspr-bot", at=datetime(2027, 1, 4, 12, tzinfo=UTC))
    forms = {a.code: templates.render("information_request", contexts.information_request(
        case, a, p, requested=sin, due=due, mailbox=settings.bot.mailbox_address)).data for a in p.agencies}
    makers = [make for make, _ in VARIANTS.values()]
    varied = {code: makers[i % len(makers)](form) for i, (code, form) in enumerate(forms.items())}
    rows = tuple((f"{1 + (i % 28):02d}/02/2026", f"Contact {i}", "Practitioner", "Recorded") for i in range(20))
    long = {code: fill(form, Answers(POLICE.sections, rows, POLICE.sign_off)) for code, form in forms.items()}

    def collate(returns: dict[str, bytes]) -> int:
        parsed = [parse_return(data, code) for code, data in returns.items()]
        context = contexts.rapid_review_report(case, p, requests=requests_of(register, case.ref), returns=parsed,
                                               version="draft v1", today=today)
        templates.render("rapid_review_report", context)
        return len(context["chronology"])

    varied_rows, long_rows = collate(varied), collate(long)
    results.add(KEY, "report render, 15 agencies, no returns", ms(samples(lambda: collate({}), RUNS)), "ms",
                note="the case's context as collate_returns builds it, with no returns")
    results.add(KEY, "collate 15 returns (VARIANTS): parse 15 + render", ms(samples(lambda: collate(varied), RUNS)),
                "ms", baseline="report render, 15 agencies, no returns",
                note=f"{len(makers)} VARIANTS in turn; {varied_rows} chronology rows in the report")
    results.add(KEY, "collate 15 returns of 20 rows: parse 15 + render", ms(samples(lambda: collate(long), RUNS)),
                "ms", baseline="report render, 15 agencies, no returns",
                note=f"the police answers with 20 chronology rows each; {long_rows} rows in the report")


if __name__ == "__main__":
    results = Results()
    run(results)
    print(results.markdown("bench/documents.py"))
