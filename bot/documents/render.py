"""Word documents from the partnership's templates (docxtpl), safely.

docxtpl escapes nothing by default and silently repairs broken XML, so "A & B" would lose its "&"
and a value could inject WordprocessingML (reliability-security.md §3.4): every render autoescapes.
Values are data, never templates. Characters XML forbids are stripped and counted (for the audit
trail). The Jinja environment is sandboxed because partnerships supply their own templates.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.documents import DOCX_TYPE  # noqa: F401  (re-exported: callers render and attach together)
from bot.documents.examples import EXAMPLES
from bot.shipped import templates_dir

DEFAULT_DOCUMENTS = templates_dir() / "documents"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class TemplateError(ValueError):
    """A document template is missing or uses a key the bot does not provide; says which."""


@dataclass(frozen=True)
class Rendered:
    data: bytes
    stripped: int  # characters removed because XML cannot hold them


def clean(value: Any) -> tuple[Any, int]:
    """The value with XML-forbidden characters removed from every string in it, and how many."""
    if isinstance(value, str):
        cleaned, n = _FORBIDDEN.subn("", value)
        return cleaned, n
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            out[k], n = clean(v)
            total += n
        return out, total
    if isinstance(value, list | tuple):
        items, total = [], 0
        for v in value:
            c, n = clean(v)
            items.append(c)
            total += n
        return items, total
    return value, 0


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


class DocumentTemplates:
    """The templates of one partnership: its own folder first, then the shipped defaults."""

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self.folders = [Path(f) for f in folders] + [DEFAULT_DOCUMENTS]

    def path(self, name: str) -> Path:
        for folder in self.folders:
            candidate = folder / f"{name}.docx"
            if candidate.is_file():
                return candidate
        raise TemplateError(f"document template {name}.docx is missing from {', '.join(map(str, self.folders))}")

    def unknown_keys(self, name: str) -> list[str]:
        """Keys the template uses that the bot does not provide for it."""
        used = DocxTemplate(str(self.path(name))).get_undeclared_template_variables(jinja_env=_environment())
        return sorted(set(used) - set(EXAMPLES[name]))

    def check(self) -> None:
        """Fail at start if any template is missing or uses a key the bot does not provide."""
        for name in EXAMPLES:
            unknown = self.unknown_keys(name)
            if unknown:
                raise TemplateError(f"{self.path(name)}: unknown key {unknown[0]!r}. Fix: use only the keys listed "
                                    f"for {name} in templates/README.md")

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        cleaned, stripped = clean(context)
        template = DocxTemplate(str(self.path(name)))
        template.render(cleaned, jinja_env=_environment(), autoescape=True)
        out = io.BytesIO()
        template.save(out)
        return Rendered(out.getvalue(), stripped)
