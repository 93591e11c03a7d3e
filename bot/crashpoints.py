"""Named points where a crash matters, and a test hook that kills the process at one of them.

Inert unless the environment asks: `CSPR_CRASH_AT=<point>` with `CSPR_CRASH_HIT=<n>` sends this process
SIGKILL the n-th time it reaches that point (no cleanup, no flush: a power cut as far as the process can
tell), and `CSPR_CRASH_COUNT=1` counts every point reached so a harness can choose hits. The crash
harness (`tests/crash/`, `make crash-test`) kills the bot at each point and checks that after a restart
nothing went twice and nothing was lost.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

# point -> what has just happened when it is reached (each is called from exactly one place)
POINTS: dict[str, str] = {
    # the ledger's own writes: each is inside its transaction, so a kill there must roll it back
    "ledger.enqueue.uncommitted": "an outbox row inserted, its transaction not yet committed",
    "ledger.inbound.uncommitted": "an inbound message recorded, its transaction not yet committed",
    "ledger.cursor.uncommitted": "a cursor (delta link, marker) written, not yet committed",
    "ledger.audit.uncommitted": "an audit row appended, not yet committed",
    "queue.committed": "a message and its audit row committed to the outbox, the handler not yet told",
    # the sender
    "send.before_transmit": "an outbox row chosen for sending, nothing transmitted yet",
    "send.transmitted": "the mailbox accepted the message; the ledger does not know yet",
    "send.marked_uncommitted": "the outbox row marked sent inside a transaction not yet committed",
    "send.marked": "the outbox row marked sent and committed",
    "graph.send.draft_created": "the draft (carrying the outbox key) created, /send not yet called",
    "graph.send.posted": "/send accepted; the message's state not yet read back",
    "maildir.send.tmp_written": "the sent message written in full to a temporary file, not yet renamed",
    # inbound mail
    "graph.delta.page_read": "a page of the inbox delta read; later pages and the delta link not yet",
    "ingest.before_act": "a new inbound message read, nothing done about it yet",
    "ingest.return_saved": "a return's attachment saved in the library, the request not yet marked returned",
    "ingest.return_marked": "the request marked returned, the acknowledgement not yet queued",
    "ingest.acted": "everything done for a message except recording it in the ledger",
    "ingest.recorded": "the message recorded in the ledger, not yet filed out of the inbox",
    "ingest.filed": "the message filed out of the inbox; the inbox cursor not yet saved",
    "maildir.move.copied": "a message copied into its folder, not yet removed from the inbox",
    # the register and the library
    "register.add.uncommitted": "a register item added inside a transaction not yet committed",
    "register.update.uncommitted": "a register item changed inside a transaction not yet committed",
    "library.save.tmp_written": "a document written to a temporary file in the library, not yet renamed",
    "start.request_queued": "an information request queued, its register item not yet created",
    "start.request_registered": "an information request's register item created",
    "start.announced": "the 'review started' notice queued, the start not yet audited or staged",
    "collate.rendered": "a report draft rendered in memory, not yet saved",
    "collate.saved": "a report draft saved in the library, the collation cursor not yet moved",
    "chase.queued": "a chaser queued, the request's chase count not yet updated",
    "remind.digest_queued": "a lead's digest queued, other leads' not yet",
    "submit.queued": "the Panel submission queued, the case not yet marked submitted",
    "submit.recorded": "the case marked submitted to the Panel, the submission not yet audited",
    "sync.stage_audited": "a stage change audited, the case's computed columns not yet written",
}

_TARGET = os.environ.get("CSPR_CRASH_AT") or None
_HIT = int(os.environ.get("CSPR_CRASH_HIT") or "1")
_COUNTING = bool(os.environ.get("CSPR_CRASH_COUNT"))
_counts: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Mark a point where a crash matters; kills the process here when the environment asks for it."""
    if _TARGET is None and not _COUNTING:
        return
    if name not in POINTS:
        raise KeyError(f"crash point {name!r} is not in bot.crashpoints.POINTS")
    _counts[name] += 1
    if name == _TARGET and _counts[name] == _HIT:
        os.kill(os.getpid(), signal.SIGKILL)


def counts() -> dict[str, int]:
    """How many times each point was reached in this process (only while counting or armed)."""
    return dict(_counts)
