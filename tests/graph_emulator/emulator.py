"""GraphEmulator, the object tests hold: start and stop the server, seed mail, lists and files, script faults,
and inspect what the client did. Every method takes the state lock, so tests may call them while requests run.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from . import drive as drive_routes
from . import item_model as items
from . import lists
from .folders import add_folder
from .limits import MailboxLimits, MailboxStats
from .messages import full, move, new_attachment, new_message
from .mime import parse_eml
from .router import segments
from .server import TOKEN, EmulatorServer
from .state import Drive, DriveItem, Request, Site, State
from .wire import iso


class GraphEmulator:
    """A loopback Microsoft Graph for tests: `with GraphEmulator() as g: ... g.base_url ...`."""

    token = TOKEN

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._state = State(clock or (lambda: datetime.now(UTC)))
        self._server: EmulatorServer | None = None
        self._limits = MailboxLimits()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> GraphEmulator:
        if self._server is None:
            self._server = EmulatorServer(self._state, self._limits)
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                             name="graph-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the Graph emulator is not running; use it in a with block or call start()")
        return self._server.origin

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1.0"

    # --- requests and faults -------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def upload_auth_violations(self) -> list[Request]:
        with self._state.lock:
            return list(self._state.upload_auth_violations)

    @property
    def immutable_id_violations(self) -> list[Request]:
        """Mail requests that did not carry Prefer: IdType="ImmutableId"."""
        return [request for request in self.requests if request.immutable_id is False]

    @property
    def transmitted(self) -> list[dict[str, Any]]:
        """Every message that left the mailbox (draft /send and /sendMail), as it was when sent."""
        with self._state.lock:
            return list(self._state.transmitted)

    def count(self, method: str, pattern: str) -> int:
        """How many requests with this method had a path (as sent, or percent-decoded) matching the regex."""
        regex = re.compile(pattern)
        return sum(1 for r in self.requests if r.method == method.upper()
                   and (regex.search(r.path) or regex.search("/" + "/".join(segments(r.path)))))

    def fault(self, method: str, pattern: str, kind: str, *, times: int | None = 1, retry_after: int | None = 1,
              after: bool = False) -> None:
        """Script a fault for the next `times` matching requests (None: all of them); method "*" matches any."""
        with self._state.lock:
            self._state.faults.add(method, pattern, kind, times, retry_after, after)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.faults.clear()

    # --- per-mailbox limits (limits.py) ---------------------------------------------------------

    def enforce_mailbox_limits(self, *, concurrent: int | None = 4, requests: int | None = 10_000,
                               window_seconds: float = 600) -> None:
        """Answer 429 ApplicationThrottled (with Retry-After) to a mailbox request that would put more than
        `concurrent` in flight, or more than `requests` in the sliding window; None lifts that limit. Off by default."""
        self._limits.enforce(concurrent, requests, window_seconds)

    def relax_mailbox_limits(self) -> None:
        """Enforcement off again; the counting goes on."""
        self._limits.relax()

    def mailbox_latency(self, seconds: float) -> None:
        """Hold every admitted mailbox request this long before handling it (outside the state lock), so
        concurrent requests overlap; 0 turns it off."""
        self._limits.set_latency(seconds)

    def mailbox_stats(self, address: str) -> MailboxStats:
        """Requests, peak concurrent requests and limit 429s for a mailbox (its address or id, any case)."""
        return self._limits.stats(address)

    def reset_mailbox_stats(self, address: str | None = None) -> None:
        """Zero a mailbox's counters (None: every mailbox's); the peak restarts from what is in flight now."""
        self._limits.reset(address)

    # --- mail ----------------------------------------------------------------------------------

    def add_mailbox(self, address: str, display_name: str | None = None) -> str:
        with self._state.lock:
            self._state.new_mailbox(address, display_name or address.partition("@")[0])
        return address

    def deliver(self, mailbox: str, raw: bytes, *, folder: str = "inbox", received: datetime | None = None) -> str:
        """Deliver an RFC 5322 message as Exchange would; returns the new message id."""
        props, attachments = parse_eml(raw)
        with self._state.lock:
            box = self._state.mailbox(mailbox)
            if received is not None:
                props["receivedDateTime"] = iso(received)
            message = new_message(self._state, box, box.folder(self.folder_id(mailbox, folder)), props)
            for attachment in attachments:
                new_attachment(self._state, message, attachment)
            return message["id"]

    def folder_id(self, mailbox: str, folder: str) -> str:
        """A folder's id from its id, well-known name, or display-name path such as "Processed/2024"."""
        with self._state.lock:
            box = self._state.mailbox(mailbox)
            if folder in box.folders or folder.lower() in {f.well_known for f in box.folders.values()}:
                return box.folder(folder).id
            parent = box.root_id
            for name in folder.split("/"):
                parent = next(f.id for f in box.folders.values()
                              if f.parent_id == parent and f.display_name.lower() == name.lower())
            return parent

    def add_folder(self, mailbox: str, display_name: str, parent: str | None = None) -> str:
        with self._state.lock:
            box = self._state.mailbox(mailbox)
            parent_id = self.folder_id(mailbox, parent) if parent else box.root_id
            return add_folder(self._state, box, parent_id, display_name).id

    def messages(self, mailbox: str, folder: str = "inbox") -> list[dict[str, Any]]:
        """Full messages in a folder (all properties, extended properties, attachments with bytes)."""
        with self._state.lock:
            folder_id = self.folder_id(mailbox, folder)
            box = self._state.mailbox(mailbox)
            return [full(msg) for msg in box.messages.values() if msg["parentFolderId"] == folder_id]

    def message(self, mailbox: str, message_id: str) -> dict[str, Any]:
        with self._state.lock:
            return full(self._state.mailbox(mailbox).message(message_id))

    def move(self, mailbox: str, message_id: str, folder: str) -> None:
        """A person moving a message in Outlook (shows up in delta like any other move)."""
        with self._state.lock:
            box = self._state.mailbox(mailbox)
            move(box, box.message(message_id), box.folder(self.folder_id(mailbox, folder)), self._state)

    # --- SharePoint lists ------------------------------------------------------------------------

    def add_site(self, hostname: str, path: str, display_name: str | None = None) -> str:
        with self._state.lock:
            state, now = self._state, iso(self._state.clock())
            site_id = f"{hostname},{state.guid()},{state.guid()}"
            drive_id = "b!" + base64.urlsafe_b64encode(state.guid().encode()[:36] + b"emulator").decode().rstrip("=")
            root = DriveItem(drive_routes.item_id(state), "root", None, True, now, now)
            drive = Drive(drive_id, root.id, site_id, {root.id: root})
            title = display_name or path.strip("/").rsplit("/", 1)[-1]
            state.sites[site_id] = Site(site_id, hostname, path.strip("/"), title, now, drive)
            state.drives[drive_id] = drive
            return site_id

    def add_list(self, site: str, name: str, columns: Iterable[dict[str, Any] | str] = ()) -> str:
        """A genericList; columns are Graph columnDefinitions ({"name": "Status", "choice": {...}}) or plain names."""
        with self._state.lock:
            return lists.new_list(self._state, self._state.site(site), name, list(columns)).id

    def add_item(self, site: str, list_name: str, fields: dict[str, Any], *, by: str | None = None) -> str:
        """Create an item as a person (by=email) or as the app (by=None); returns its id."""
        with self._state.lock:
            found = lists.find_list(self._state.site(site), list_name)
            return str(items.new_item(self._state, found, fields, by)["id"])

    def edit_item(self, site: str, list_name: str, item_id: str | int, fields: dict[str, Any], *, by: str) -> str:
        """A person's edit in SharePoint: bumps the eTag, sets lastModifiedBy.user.email; returns the new eTag."""
        with self._state.lock:
            found = lists.find_list(self._state.site(site), list_name)
            item = items.find_item(found, str(item_id))
            items.update_item(self._state, found, item, fields, by)
            return items.etag(item)

    def delete_item(self, site: str, list_name: str, item_id: str | int) -> None:
        with self._state.lock:
            found = lists.find_list(self._state.site(site), list_name)
            del found.items[items.find_item(found, str(item_id))["id"]]
            found.log.append((int(item_id), "deleted"))

    def list_items(self, site: str, list_name: str) -> list[dict[str, Any]]:
        """Items as Graph returns them with $expand=fields."""
        with self._state.lock:
            found_site = self._state.site(site)
            found = lists.find_list(found_site, list_name)
            return [items.item_json(found_site, found, item, True) for _, item in sorted(found.items.items())]

    def columns(self, site: str, list_name: str) -> list[dict[str, Any]]:
        with self._state.lock:
            return [dict(c) for c in lists.find_list(self._state.site(site), list_name).columns]

    # --- document library ------------------------------------------------------------------------

    def drive_id(self, site: str) -> str:
        with self._state.lock:
            return self._state.site(site).drive.id

    def put_file(self, site: str, path: str, data: bytes) -> str:
        """Seed a file at a path such as "Templates/Letter.docx"; returns its item id."""
        with self._state.lock:
            drive = self._state.site(site).drive
            return drive_routes.store(self._state, drive, f"root:/{path.strip('/')}:", data)[0].id

    def drive_files(self, site: str) -> dict[str, bytes]:
        """Every file in the site's default drive by path ("Outgoing/Letter 1.docx")."""
        with self._state.lock:
            drive = self._state.site(site).drive
            return {drive_routes.path_of(drive, item): item.content for item in drive.items.values()
                    if not item.is_folder}
