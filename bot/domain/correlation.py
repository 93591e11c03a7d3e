"""Correlation between a request and the replies to it: a token in every subject, e.g.
`[CSPR RR-2026-014/POL-3F2A]`, and a deterministic Message-ID per outbox key for In-Reply-To."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

TOKEN = re.compile(r"\[CSPR\s+([A-Z]{2,6}-\d{4}-\d{3,})/([A-Z][A-Z0-9]{1,7})-([0-9A-F]{4})\]", re.IGNORECASE)
CASE_REF = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{3,})\b")


@dataclass(frozen=True)
class Token:
    case_ref: str
    agency: str
    check: str

    def __str__(self) -> str:
        return f"[CSPR {self.case_ref}/{self.agency}-{self.check}]"

    @property
    def value(self) -> str:
        return f"{self.case_ref}/{self.agency}-{self.check}"

    @classmethod
    def parse(cls, value: str) -> Token:
        """The token stored on a request item, e.g. `RR-2026-014/POL-3F2A`."""
        case_ref, _, rest = value.partition("/")
        agency, _, check = rest.rpartition("-")
        return cls(case_ref, agency, check)


def _check(case_ref: str, agency: str) -> str:
    return hashlib.sha256(f"{case_ref}/{agency}".encode()).hexdigest()[:4].upper()


def token_for(case_ref: str, agency: str) -> Token:
    return Token(case_ref, agency, _check(case_ref, agency))


def find_token(text: str) -> Token | None:
    """The first well-formed token in `text` whose check characters match (typos do not correlate)."""
    for m in TOKEN.finditer(text or ""):
        ref, agency, check = m.group(1).upper(), m.group(2).upper(), m.group(3).upper()
        if check == _check(ref, agency):
            return Token(ref, agency, check)
    return None


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID the bot gives the message with outbox key `key`: replies point back at it."""
    return f"<cspr.{hashlib.sha256(key.encode()).hexdigest()[:24]}@{domain}>"
