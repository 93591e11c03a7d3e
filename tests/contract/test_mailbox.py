"""The Mailbox contract, run against every implementation (see the `mailbox` fixture and its harness)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.graph.mailbox import GraphMailbox
from bot.ports import Attachment, InboundMessage, Mailbox, MailFolder, OutboundMessage, SentMessage

MakeEmail = Callable[..., bytes]

PDF_BYTES = b"%PDF-1.7\n" + bytes(range(256)) + b"\r\n\x00\xff trailing\n"
T0 = datetime(2025, 3, 4, 10, 15, 30, tzinfo=UTC)


def only(messages: list[InboundMessage]) -> InboundMessage:
    assert len(messages) == 1, messages
    return messages[0]


def outbound(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "to": ("designated.lead@health.example",),
        "subject": "Information request: RR-2025-001",
        "text": "Please return the attached form for Child A by Friday.",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


class TestMailboxContract:
    def test_the_implementation_satisfies_the_port(self, mailbox) -> None:
        assert isinstance(mailbox.port, Mailbox)

    def test_an_empty_inbox_has_no_changes(self, mailbox) -> None:
        assert mailbox.port.changes(None).messages == []

    def test_a_delivered_message_appears_with_its_envelope_and_threading_headers(
            self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(
            subject="Re: Rapid review RR-2025-001 (Child A)",
            sender="Duty Officer <Duty.Officer@Police.Example>",
            message_id="<reply-1@police.example>",
            in_reply_to="<request-1@scp.example>",
            references="<root-0@scp.example> <request-1@scp.example>",
            extra_headers={"X-Case-Ref": "RR-2025-001"},
        ))

        message = only(mailbox.port.changes(None).messages)

        assert message.id
        assert message.subject == "Re: Rapid review RR-2025-001 (Child A)"
        assert message.sender == "duty.officer@police.example"
        assert message.internet_message_id == "<reply-1@police.example>"
        assert message.in_reply_to == "<request-1@scp.example>"
        assert message.references == ("<root-0@scp.example>", "<request-1@scp.example>")
        assert message.received == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
        assert message.header("x-case-ref") == "RR-2025-001"
        assert message.header("SUBJECT") == "Re: Rapid review RR-2025-001 (Child A)"
        assert message.header("X-Not-There") is None

    def test_a_non_ascii_subject_is_decoded(self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(subject="Référence – Child B: chronologie"))
        assert only(mailbox.port.changes(None).messages).subject == "Référence – Child B: chronologie"

    def test_the_sender_is_the_bare_from_address_and_the_display_name_is_not_trusted(
            self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(sender='"designated.lead@health.example" <Someone@Elsewhere.Example>'))

        message = only(mailbox.port.changes(None).messages)
        assert message.sender == "someone@elsewhere.example"

    def test_the_plain_text_body_is_read(self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(body="Chronology for Child A attached.\nRegards\n",
                                   html="<p>Chronology for <b>Child A</b> attached (HTML).</p>"))

        message = only(mailbox.port.changes(None).messages)
        if isinstance(mailbox.port, GraphMailbox):
            # Graph hands back one body (the HTML part, as text when asked), never the raw MIME parts
            assert message.body_text.strip() == "Chronology for Child A attached (HTML)."
        else:
            assert message.body_text.strip() == "Chronology for Child A attached.\nRegards"

    def test_an_html_only_body_is_read_as_text_without_markup_or_scripts(
            self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(
            body=None,
            html="<html><head><style>p {color: red}</style></head><body><p>Return for <b>Child C</b>"
                 " is attached.</p><script>alert('x')</script></body></html>",
        ))

        text = only(mailbox.port.changes(None).messages).body_text
        assert "Return for Child C is attached." in text
        assert "<" not in text
        assert "alert" not in text
        assert "color" not in text

    def test_attachments_are_listed_and_their_exact_bytes_can_be_fetched(
            self, mailbox, make_email: MakeEmail) -> None:
        form = b"Agency return for Child A\r\nline two\n"
        mailbox.deliver(make_email(attachments=(
            ("chronology.pdf", "application/pdf", PDF_BYTES),
            ("agency-return.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", form),
        )))

        message = only(mailbox.port.changes(None).messages)

        assert [(a.name, a.content_type, a.size) for a in message.attachments] == [
            ("chronology.pdf", "application/pdf", len(PDF_BYTES)),
            ("agency-return.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             len(form)),
        ]
        assert len({a.id for a in message.attachments}) == 2
        assert mailbox.port.attachment(message.id, message.attachments[0].id) == PDF_BYTES
        assert mailbox.port.attachment(message.id, message.attachments[1].id) == form

    def test_a_message_without_attachments_lists_none(self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email())
        assert only(mailbox.port.changes(None).messages).attachments == ()

    def test_pages_hold_the_same_messages_as_changes_and_end_with_a_cursor(self, mailbox,
                                                                            make_email: MakeEmail) -> None:
        for n in range(3):
            mailbox.deliver(make_email(subject=f"Paged {n}", message_id=f"<paged-{n}@police.example>"))
        pages = list(mailbox.port.pages(None))
        assert sorted(m.id for page in pages for m in page.messages) == sorted(
            m.id for m in mailbox.port.changes(None).messages)
        assert len({m.id for page in pages for m in page.messages}) == 3 and pages[-1].cursor

    def test_each_delivered_message_gets_its_own_id(self, mailbox, make_email: MakeEmail) -> None:
        for n in range(3):
            mailbox.deliver(make_email(subject=f"Return {n}", message_id="<same-internet-id@police.example>"))

        messages = mailbox.port.changes(None).messages
        assert sorted(m.subject for m in messages) == ["Return 0", "Return 1", "Return 2"]
        assert len({m.id for m in messages}) == 3

    def test_a_message_stays_in_changes_until_it_is_moved(self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email(subject="Return for Child A"))

        first = only(mailbox.port.changes(None).messages)
        again = only(mailbox.port.changes(None).messages)

        assert again.id == first.id
        assert again.subject == "Return for Child A"

    def test_a_message_delivered_after_a_cursor_appears_in_changes_since_that_cursor(
            self, mailbox, make_email: MakeEmail) -> None:
        cursor = mailbox.port.changes(None).cursor
        mailbox.deliver(make_email(subject="Late return for Child D"))

        assert [m.subject for m in mailbox.port.changes(cursor).messages] == ["Late return for Child D"]

    @pytest.mark.parametrize("folder", list(MailFolder))
    def test_a_moved_message_leaves_the_inbox_for_the_folder(
            self, mailbox, make_email: MakeEmail, folder: MailFolder) -> None:
        mailbox.deliver(make_email(subject="Keep me"))
        mailbox.deliver(make_email(subject="Move me"))
        moving = next(m for m in mailbox.port.changes(None).messages if m.subject == "Move me")

        mailbox.port.move(moving.id, folder, reason="sender not on the agency list")

        assert [m.subject for m in mailbox.port.changes(None).messages] == ["Keep me"]
        assert mailbox.filed(folder) == 1

    def test_moving_a_message_twice_is_harmless(self, mailbox, make_email: MakeEmail) -> None:
        mailbox.deliver(make_email())
        message = only(mailbox.port.changes(None).messages)

        mailbox.port.move(message.id, MailFolder.PROCESSED)
        mailbox.port.move(message.id, MailFolder.PROCESSED)
        mailbox.port.move(message.id, MailFolder.QUARANTINE, reason="replayed")

        assert mailbox.port.changes(None).messages == []
        assert mailbox.filed(MailFolder.PROCESSED) == 1
        assert mailbox.filed(MailFolder.QUARANTINE) == 0

    def test_send_returns_a_receipt_that_sent_finds_by_key(self, mailbox) -> None:
        receipt = mailbox.port.send(outbound(), key="request:RR-2025-001:POL", at=T0)

        assert isinstance(receipt, SentMessage)
        assert receipt.key == "request:RR-2025-001:POL"
        assert receipt.message_id.startswith("<") and receipt.message_id.endswith(">")
        if not isinstance(mailbox.port, GraphMailbox):  # Exchange stamps its own send time
            assert receipt.sent_at == T0
        found = mailbox.port.sent("request:RR-2025-001:POL")
        assert found is not None
        assert found.message_id == receipt.message_id
        assert found.key == receipt.key
        assert mailbox.sent_count() == 1

    def test_sent_reports_the_same_receipt_that_send_returned(self, mailbox) -> None:
        # without `at`, the adapter picks the time; a later reconcile must see the same message
        receipt = mailbox.port.send(outbound(), key="request:RR-2025-001:HEA")
        found = mailbox.port.sent("request:RR-2025-001:HEA")
        assert found is not None and (found.key, found.message_id) == (receipt.key, receipt.message_id)
        if isinstance(mailbox.port, GraphMailbox):  # the receipt says when it was handed over (the send is
            assert abs(found.sent_at - receipt.sent_at) < timedelta(minutes=1)  # not read back); Exchange stamps
        else:                                                                   # its own time on Sent Items
            assert found == receipt

    def test_sending_twice_with_the_same_key_sends_once_and_returns_the_same_message_id(self, mailbox) -> None:
        first = mailbox.port.send(outbound(), key="chaser:RR-2025-001:POL:1", at=T0)
        second = mailbox.port.send(outbound(subject="changed on retry"), key="chaser:RR-2025-001:POL:1",
                                   at=datetime(2025, 3, 5, tzinfo=UTC))

        assert second.message_id == first.message_id
        assert second.key == first.key
        assert mailbox.sent_count() == 1

    def test_different_keys_send_different_messages(self, mailbox) -> None:
        a = mailbox.port.send(outbound(), key="request:RR-1:POL", at=T0)
        b = mailbox.port.send(outbound(), key="request:RR-1:HEA", at=T0)

        assert a.message_id != b.message_id
        assert mailbox.sent_count() == 2
        assert mailbox.port.sent("request:RR-1:POL").message_id == a.message_id  # type: ignore[union-attr]
        assert mailbox.port.sent("request:RR-1:HEA").message_id == b.message_id  # type: ignore[union-attr]

    def test_a_message_id_chosen_by_the_caller_is_used(self, mailbox) -> None:
        receipt = mailbox.port.send(outbound(message_id="<rr-2025-001.request.pol@scp.example>"),
                                    key="request:RR-2025-001:POL", at=T0)
        assert receipt.message_id == "<rr-2025-001.request.pol@scp.example>"
        assert mailbox.port.sent("request:RR-2025-001:POL").message_id == receipt.message_id  # type: ignore[union-attr]

    def test_a_full_message_with_html_cc_reply_and_attachments_can_be_sent(self, mailbox) -> None:
        receipt = mailbox.port.send(outbound(
            cc=("panel.chair@scp.example",), html="<p>Please return the form for <b>Child A</b>.</p>",
            in_reply_to="<reply-1@health.example>",
            attachments=(Attachment("request.pdf", "application/pdf", PDF_BYTES),),
        ), key="request:RR-2025-001:full", at=T0)

        assert mailbox.port.sent("request:RR-2025-001:full") is not None
        assert receipt.message_id
        assert mailbox.sent_count() == 1

    def test_sent_with_an_unknown_key_is_none(self, mailbox) -> None:
        mailbox.port.send(outbound(), key="known", at=T0)
        assert mailbox.port.sent("never-sent") is None

    def test_sent_messages_do_not_arrive_in_the_inbox(self, mailbox) -> None:
        mailbox.port.send(outbound(to=("team@scp.example",)), key="to-self", at=T0)
        assert mailbox.port.changes(None).messages == []

    @pytest.mark.parametrize("raw", [
        pytest.param(bytes(range(256)) * 4, id="random-binary"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00\x00\x00\xff\xfe\n\n\x89PNG", id="nul-bytes"),
        pytest.param(b"From: \xff\xfe<bad@@>\r\nSubject: =?utf-8?B?!!!notbase64?=\r\nDate: yesterday-ish\r\n"
                     b"Message-ID: <<>>\r\nReferences: \x01\x02\r\n\r\nbody \xe9\xff\r\n", id="bad-headers"),
        pytest.param(b"From: a@police.example\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
                     b"--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                     b"Content-Disposition: attachment; filename=\"=?bogus?Q?x?=\"\r\n\r\n@@@not base64@@@\r\n"
                     b"--XX\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe\r\n",
                     id="broken-multipart"),
        pytest.param(b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                     b"\r\n<p =3D=ZZ>unterminated <script>\r\n", id="broken-html"),
    ])
    def test_a_garbled_message_does_not_stop_changes_or_hide_other_messages(
            self, mailbox, make_email: MakeEmail, raw: bytes) -> None:
        mailbox.deliver(make_email(subject="Good message"))
        mailbox.deliver(raw)

        messages = mailbox.port.changes(None).messages

        assert len(messages) == 2
        assert "Good message" in [m.subject for m in messages]
        for m in messages:
            assert isinstance(m.subject, str)
            assert isinstance(m.sender, str)
            assert isinstance(m.body_text, str)
        garbled = next(m for m in messages if m.subject != "Good message")
        mailbox.port.move(garbled.id, MailFolder.QUARANTINE, reason="unreadable")
        assert [m.subject for m in mailbox.port.changes(None).messages] == ["Good message"]
