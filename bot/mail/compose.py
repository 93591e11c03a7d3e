"""Outbound messages from Jinja2 templates under `templates/emails/` that a partnership can edit.

Each message is `<name>.txt` (first line `Subject: ...`, a blank line, then the plain-text body) and an
optional `<name>.html` (autoescaped). Values are data, never evaluated as templates. The code, not the
template, puts the classification marking first in every subject and the correlation token last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from bot.domain.correlation import Token, message_id_for
from bot.ports import Attachment, OutboundMessage
from bot.shipped import templates_dir

DEFAULT_TEMPLATES = templates_dir() / "emails"


def long_date(d: date | None) -> str:
    """'Thursday 31 December 2026', the way UK letters write dates."""
    return f"{d:%A} {d.day} {d:%B %Y}" if d else "not set"


class TemplateProblem(ValueError):
    """A template is missing or malformed; the message names it."""


class Composer:
    def __init__(self, folders: Sequence[Path] = (DEFAULT_TEMPLATES,), *, domain: str) -> None:
        self.domain = domain
        self.env = Environment(
            loader=FileSystemLoader([str(f) for f in folders]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters["longdate"] = long_date

    def compose(self, name: str, *, key: str, to: Iterable[str], classification: str, cc: Iterable[str] = (),
                token: Token | None = None, attachments: Sequence[Attachment] = (),
                in_reply_to: str | None = None, **context: Any) -> OutboundMessage:
        context = {"classification": classification, "token": str(token) if token else "", **context}
        try:
            text = self.env.get_template(f"{name}.txt").render(context)
        except TemplateNotFound:
            raise TemplateProblem(f"email template {name}.txt is missing") from None
        first, _, body = text.partition("\n")
        if not first.startswith("Subject:"):
            raise TemplateProblem(f"email template {name}.txt must start with a 'Subject:' line")
        subject = " ".join(first.removeprefix("Subject:").split())
        subject = f"{classification}: {subject}" if classification else subject
        if token and str(token) not in subject:
            subject = f"{subject} {token}"
        try:
            html: str | None = self.env.get_template(f"{name}.html").render(context)
        except TemplateNotFound:
            html = None
        return OutboundMessage(
            to=tuple(dict.fromkeys(a.lower() for a in to)), cc=tuple(dict.fromkeys(a.lower() for a in cc)),
            subject=subject, text=body.lstrip("\n"), html=html, attachments=tuple(attachments),
            message_id=message_id_for(key, self.domain), in_reply_to=in_reply_to,
        )
