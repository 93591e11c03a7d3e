"""Prints the key reference for templates/README.md from bot/documents/examples.py (one source).

    .venv/bin/python templates/documents/keys.py > /tmp/keys.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.documents.examples import EXAMPLES  # noqa: E402

PURPOSE = {
    "referral_form": "the blank serious incident referral form a partner agency fills in and emails to the "
                     "business team",
    "information_request": "the individual agency summary form attached to every request email",
    "rapid_review_report": "the draft the bot collates from the returns (saved as `draft vN`)",
    "lcspr_notification_letter": "to statutory safeguarding leads and involved organisations",
    "family_notification_letter": "a draft for the case review group only; the bot never emails it",
    "delay_notice": "to the Panel when a rapid review or LCSPR will be late (attached to the delay email)",
    "lcspr_commissioning_notice": "to the Panel, Ofsted and the Department for Education",
    "pre_publication_cover_letter": "sends the final report to the Panel, the Secretary of State and Ofsted",
}


def describe(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        fields = ", ".join(f"`{k}`" for k in value[0])
        return f"list of rows with {fields} — e.g. `{value[0]}`".replace("|", "\\|")
    if isinstance(value, list):
        return f"list of text — e.g. `{value[:1]}`"
    return f"e.g. `{value}`"


for name, context in EXAMPLES.items():
    print(f"### `{name}.docx` — {PURPOSE[name]}\n")
    print("| key | value |\n|---|---|")
    for key, value in context.items():
        print(f"| `{key}` | {describe(value)} |")
    print()
