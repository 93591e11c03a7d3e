"""The shared mailbox as Maildir folders: drop `.eml` files into `mail/inbox/new/`; the bot files
them into `processed`, `quarantine` or `needs-attention`, and writes what it sends to `mail/sent/`."""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.local.files import fsync_dir, sweep_orphans, write_atomic
from bot.crashpoints import crash_point
from bot.mail.mime import REASON_HEADER, attachment_bytes, compose, parse_message
from bot.ports import InboundMessage, MailChanges, MailFolder, OutboundMessage, SentMessage

INBOX, SENT = "inbox", "sent"
# Python folds a long Subject straight after "Subject:", and readers then see a leading space; RFC 5322
# allows lines up to 998 characters, so headers are written unfolded.
SMTP_UNFOLDED = email.policy.SMTP.clone(max_line_length=998)


class MaildirMailbox:
    """The Mailbox port on Maildir folders under `root` (the workspace's `mail/`)."""

    def __init__(self, root: Path, *, address: str) -> None:
        self.root = Path(root)
        self.address = address
        self.root.mkdir(parents=True, exist_ok=True)
        for name in (INBOX, SENT, *(f.value for f in MailFolder)):
            mailbox.Maildir(self.root / name, create=True)
        sweep_orphans(self.root)  # half-written files of a process that died; never a message

    def folder(self, name: str) -> mailbox.Maildir:
        return mailbox.Maildir(self.root / name, factory=None, create=False)

    def changes(self, cursor: str | None) -> MailChanges:
        """Every message still in the inbox, oldest first. The cursor is not needed here: a message
        stays until it is moved out, and the ledger's processed ids make replays harmless."""
        inbox = self.folder(INBOX)
        found: list[InboundMessage] = []
        for key in inbox.keys():
            if key.startswith("."):
                continue  # a file still being written (Python's Maildir does not skip hidden names)
            try:
                found.append(parse_message(key, inbox.get_bytes(key)))
            except (KeyError, FileNotFoundError):
                continue  # moved away while we looked
        found.sort(key=lambda m: (m.received, m.id))
        return MailChanges(found, cursor="maildir")

    def pages(self, cursor: str | None) -> Iterator[MailChanges]:
        yield self.changes(cursor)

    def raw(self, message_id: str, folder: str = INBOX) -> bytes:
        return self.folder(folder).get_bytes(message_id)

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        return attachment_bytes(self.raw(message_id), attachment_id)

    def send(self, message: OutboundMessage, *, key: str, at: datetime | None = None,
             first_attempt: bool = False) -> SentMessage:
        existing = self.sent(key)  # a file's existence: cheap enough to check even on a first attempt
        if existing is not None:
            return existing
        at = (at or datetime.now(UTC)).replace(microsecond=0)  # the Date header keeps whole seconds
        mime = compose(message, sender=self.address, key=key, at=at)
        write_atomic(self.sent_path(key), mime.as_bytes(policy=SMTP_UNFOLDED), crash="maildir.send.tmp_written")
        return SentMessage(key=key, message_id=str(mime["Message-ID"]), sent_at=at)

    def sent(self, key: str) -> SentMessage | None:
        path = self.sent_path(key)
        if not path.exists():
            return None
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        return SentMessage(key=key, message_id=str(msg["Message-ID"]),
                           sent_at=email.utils.parsedate_to_datetime(str(msg["Date"])))

    def sent_files(self) -> list[Path]:
        return sorted((self.root / SENT / "new").glob("*.eml"))

    def sent_path(self, key: str) -> Path:
        # a name derived from the key makes "already sent?" a single existence check
        return self.root / SENT / "new" / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.eml"

    def move(self, message_id: str, folder: MailFolder, *, reason: str = "", just_read: bool = False) -> None:
        """Copy into the target folder first, then remove from the inbox: a crash in between leaves a
        copy in both, and the next move (after the ledger says "seen") finishes the job."""
        inbox = self.folder(INBOX)
        try:
            raw = inbox.get_bytes(message_id)
        except KeyError:
            return  # already moved
        if reason:
            clean = " ".join(reason.split())[:500]
            raw = f"{REASON_HEADER}: {clean}\r\n".encode() + raw
        target = self.root / folder.value / "new" / message_id
        if not target.exists():
            write_atomic(target, raw)
        crash_point("maildir.move.copied")
        inbox.discard(message_id)
        fsync_dir(self.root / INBOX / "new")
        fsync_dir(self.root / INBOX / "cur")

    def keys(self, folder: str) -> list[str]:
        return sorted(k for k in self.folder(folder).keys() if not k.startswith("."))
