"""Referral intake on Microsoft 365 through the real SDK and the Graph emulator: a referral form emailed to the
shared mailbox becomes one item in the SharePoint Cases list, at stage referred, with its deadlines, however
often the mail server delivers it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.documents.examples import filled_referral
from tests.conftest import london
from tests.integration.graph_rig import DOCX_TYPE, MAILBOX, POLICE, GraphRig, graph_rig

ARRIVED = date(2027, 1, 12)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[GraphRig]:
    yield from graph_rig(tmp_path)


def referral() -> bytes:
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = POLICE, MAILBOX, "Serious incident referral"
    mime["Date"], mime["Message-ID"] = "Tue, 12 Jan 2027 09:00:00 +0000", "<referral-7@northshire-police.example>"
    mime.set_content("Our referral is attached.")
    form = filled_referral(child="Child B", la_aware="11/01/2027", incident="10/01/2027", agencies="POL, HLT")
    mime.add_attachment(form, maintype="application", subtype=DOCX_TYPE.partition("/")[2], filename="referral.docx")
    return bytes(mime)


def test_a_referral_email_becomes_one_case_item_at_stage_referred(rig: GraphRig) -> None:
    for _copy in range(2):  # the second is the sending server's retry: same sender, same Message-ID
        rig.emulator.deliver(MAILBOX, referral())
        for job in ("ingest_mail", "sync_cases", "send_outbox"):
            rig.run(job, london(ARRIVED, 10))
    assert rig.errors == []
    [item] = rig.emulator.list_items(rig.site, "Cases")
    fields = item["fields"]
    assert (fields["Title"], fields["Stage"], fields["ChildPseudonym"], fields["LAAwareDate"][:10]) == (
        "RR-2027-001", "referred", "Child B", "2027-01-11")
    assert fields["SINDue"][:10] == "2027-01-18" and fields["NextDeadline"] == "sin_notification_due"
    assert [path for path in rig.emulator.drive_files(rig.site) if "/referral/" in path]
    alerts = [k for k, n in rig.transmitted_keys().items() if k.startswith("alert:referral:")]
    assert len(alerts) == 1 and rig.transmitted_keys()[alerts[0]] == 1
