"""Is a message really from who it says? Before a reply can complete a request (or count as the
Panel's), the Authentication-Results our own receiving service stamped must show DMARC pass, or
Microsoft's compauth pass, and From and Sender must agree (reliability-security.md §3.1: a domain
allow-list on From alone is spoofable when an agency publishes DMARC p=none).

Only the topmost Authentication-Results counts: it is the one our service added last; any below it
arrived with the message and could be forged. With `authserv_id` set, that header must also name it.
"""

from __future__ import annotations

import email.utils
import re

from bot.ports import InboundMessage

_RESULT = re.compile(r"\b(dmarc|compauth|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)


def _results(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for method, result in _RESULT.findall(header):
        found.setdefault(method.lower(), result.lower())
    return found


def sender_problem(m: InboundMessage, *, authserv_id: str = "", trust_unauthenticated: bool = False) -> str | None:
    """Why the message cannot be trusted as its sender's, or None when it can."""
    sender_header = m.header("Sender")
    if sender_header:
        sender = email.utils.parseaddr(sender_header)[1].lower()
        if sender and sender != m.sender:
            return "the From and Sender addresses differ"
    if not m.sender:
        return "no single, well-formed From address"
    stamped = [v for k, v in m.headers if k.lower() == "authentication-results"]
    if not stamped:
        return None if trust_unauthenticated else "no Authentication-Results from our mail service"
    top = stamped[0]
    if authserv_id and top.split(";", 1)[0].strip().lower() != authserv_id.lower():
        return None if trust_unauthenticated else "the Authentication-Results were not stamped by our mail service"
    results = _results(top)
    if results.get("dmarc") == "pass" or results.get("compauth") == "pass":
        return None
    return f"the sender failed authentication (dmarc={results.get('dmarc', 'none')}, " \
           f"compauth={results.get('compauth', 'none')})"
