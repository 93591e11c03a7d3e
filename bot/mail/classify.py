"""What an inbound message is: a bounce, a delivery delay, an auto-reply, the Panel, an agency return,
an explicit nil return, or something a person must look at. Pure: it reads the message, decides nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.documents import DOCX_TYPE
from bot.domain.correlation import Token, find_token
from bot.ports import AttachmentInfo, InboundMessage


class Kind(StrEnum):
    BOUNCE = "bounce"
    DELAYED = "delayed"  # a mail server still trying: a warning, not a failure
    AUTO_REPLY = "auto_reply"
    PANEL_REPLY = "panel_reply"
    AGENCY_RETURN = "agency_return"
    NIL_RETURN = "nil_return"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    token: Token | None = None
    reason: str = ""


RETURN_TYPES = {
    DOCX_TYPE: "docx",
    "application/pdf": "pdf",
}
RETURN_SUFFIXES = {".docx": "docx", ".pdf": "pdf"}

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|microsoftexchange[0-9a-f]*)@", re.IGNORECASE)
_BOUNCE_SUBJECTS = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification \(failure\)|mail delivery failed|"
    r"delivery has failed|returned mail|failure notice|non[- ]?delivery)", re.IGNORECASE)
# a delay warning comes from the same senders as a bounce, as the same report, and is not a failure
_DELAY_SUBJECTS = re.compile(r"^\s*(delivery status notification \(delay\)|delayed mail|delivery delayed|"
                             r"warning: message .* delayed)", re.IGNORECASE)
_AUTO_SUBJECTS = re.compile(r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|auto:|"
                            r"autoreply|away from (the )?office)", re.IGNORECASE)
_NIL_PHRASES = re.compile(
    r"\b(no involvement|nil return|not (been )?involved|no record[s]? (of|for|held)|not known to (us|our|the)|"
    r"no contact with|no information (held|to share)|no trace)\b", re.IGNORECASE)
_QUOTE_START = re.compile(r"^(>|-{2,}\s*original message|from:\s|on .+ wrote:$|_{5,})", re.IGNORECASE)


def own_text(body: str) -> str:
    """The part of a reply its sender wrote: everything before the quoted original."""
    lines = []
    for line in body.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines)


def return_kind(info: AttachmentInfo) -> str | None:
    """'docx' or 'pdf' for an attachment that can be an agency return, judged by type or name."""
    kind = RETURN_TYPES.get(info.content_type.lower())
    if kind is None:
        for suffix, k in RETURN_SUFFIXES.items():
            if info.name.lower().endswith(suffix):
                kind = k
    return kind


def _is_bounce(m: InboundMessage) -> bool:
    content_type = (m.header("Content-Type") or "").lower()
    return (bool(_BOUNCE_SENDERS.match(m.sender)) or "report-type=delivery-status" in content_type.replace('"', "")
            or bool(_BOUNCE_SUBJECTS.match(m.subject)))


def _is_auto_reply(m: InboundMessage) -> bool:
    auto = (m.header("Auto-Submitted") or "no").strip().lower()
    precedence = (m.header("Precedence") or "").strip().lower()
    return (auto != "no" or m.header("X-Autoreply") is not None or m.header("X-Autorespond") is not None
            or precedence in ("auto_reply", "junk") or bool(_AUTO_SUBJECTS.match(m.subject)))


def classify(m: InboundMessage, *, panel_address: str, reply_token: Token | None = None) -> Classification:
    """Classify `m`. `reply_token` is the token of the request its In-Reply-To/References point at,
    used when the subject lost its token. The display name plays no part."""
    token = find_token(m.subject) or reply_token
    if _is_bounce(m):
        if _DELAY_SUBJECTS.match(m.subject):
            return Classification(Kind.DELAYED, token or find_token(m.body_text), "delivery delayed, still trying")
        return Classification(Kind.BOUNCE, token or find_token(m.body_text), "delivery failure report")
    if _is_auto_reply(m):
        if any(return_kind(a) for a in m.attachments):  # never file a document away unread
            return Classification(Kind.UNKNOWN, token, "an automatic message carrying a document")
        return Classification(Kind.AUTO_REPLY, token, "automatic reply")
    if m.sender.lower() == panel_address.lower():  # addresses compare without case; adapters may keep it
        return Classification(Kind.PANEL_REPLY, token, "from the Panel mailbox")
    if token is None:
        return Classification(Kind.UNKNOWN, None, "no request reference in the subject or reply headers")
    if any(return_kind(a) for a in m.attachments):
        return Classification(Kind.AGENCY_RETURN, token, "return attached")
    if _NIL_PHRASES.search(own_text(m.body_text)):
        return Classification(Kind.NIL_RETURN, token, "says the agency had no involvement")
    if m.attachments:
        return Classification(Kind.UNKNOWN, token, "attachment is not a Word or PDF document")
    return Classification(Kind.UNKNOWN, token, "reply without a return or a clear nil return")
