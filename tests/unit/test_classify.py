"""classify: what an inbound message is, judged by its address, headers, subject, attachments and the
words its sender wrote (never the quoted original, never the display name)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from bot.domain.correlation import find_token, token_for
from bot.mail.classify import Kind, classify, own_text, return_kind
from bot.mail.mime import parse_message
from bot.ports import AttachmentInfo, InboundMessage

PANEL = "review-panel@national-panel.example"
POLICE = "safeguarding.reviews@northshire-police.example"
TOKEN = token_for("RR-2026-014", "POL")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX = AttachmentInfo("0", "Information request - RR-2026-014 - POL.docx", DOCX_TYPE, 2048)
PDF = AttachmentInfo("0", "return.pdf", "application/pdf", 2048)


def message(subject: str = f"RE: Rapid review information request {TOKEN}", *, sender: str = POLICE, body: str = "",
            headers: dict[str, str] | None = None, attachments: tuple[AttachmentInfo, ...] = ()) -> InboundMessage:
    return InboundMessage(
        id="mem-000001", internet_message_id="<reply-1@northshire-police.example>", subject=subject, sender=sender,
        received=datetime(2027, 1, 7, 10, tzinfo=UTC), body_text=body, headers=tuple((headers or {}).items()),
        attachments=attachments,
    )


def parsed(from_header: str, subject: str, body: str = "Hello", *, docx: bool = False) -> InboundMessage:
    """A message as the mailbox hands it over, from RFC 5322 bytes; the From line is written as given."""
    mime = EmailMessage()
    mime["To"] = "cspr-bot@northshire-scp.example"
    mime["Subject"] = subject
    mime["Message-ID"] = "<parsed-1@example.example>"
    mime.set_content(body)
    if docx:
        maintype, _, subtype = DOCX_TYPE.partition("/")
        mime.add_attachment(b"PK\x03\x04", maintype=maintype, subtype=subtype, filename="return.docx")
    return parse_message("mem-000001", f"From: {from_header}\n".encode() + bytes(mime))


def kind(m: InboundMessage, **kw: object) -> Kind:
    return classify(m, panel_address=PANEL, **kw).kind  # type: ignore[arg-type]


class TestBounces:
    @pytest.mark.parametrize("sender", ["mailer-daemon@mail.northshire-police.example",
                                        "MAILER-DAEMON@northshire-police.example",
                                        "postmaster@northshire-scp.example",
                                        "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@northshire-scp.example"])
    def test_a_message_from_a_mail_system_is_a_bounce_that_keeps_the_requests_token(self, sender):
        c = classify(message(f"Returned: Rapid review information request {TOKEN}", sender=sender),
                     panel_address=PANEL)
        assert c.kind is Kind.BOUNCE and c.token == TOKEN

    @pytest.mark.parametrize("content_type", ['multipart/report; report-type="delivery-status"; boundary="b1"',
                                              "multipart/report; report-type=delivery-status;\n boundary=b1",
                                              'Multipart/Report; Report-Type="Delivery-Status"; boundary="b1"'])
    def test_a_delivery_status_report_is_a_bounce_whoever_sends_it(self, content_type):
        m = message("Your message", sender="relay@northshire-scp.example", headers={"Content-Type": content_type})
        assert kind(m) is Kind.BOUNCE

    def test_a_read_receipt_report_is_not_a_bounce(self):
        m = message(headers={"Content-Type": 'multipart/report; report-type="disposition-notification"'},
                    attachments=(DOCX,))
        assert kind(m) is Kind.AGENCY_RETURN

    @pytest.mark.parametrize("subject", ["Undeliverable: OFFICIAL-SENSITIVE: Rapid review information request",
                                         "undeliverable: request", "Delivery Status Notification (Failure)",
                                         "Mail delivery failed: returning message to sender"])
    def test_a_delivery_failure_subject_is_a_bounce(self, subject):
        assert kind(message(f"{subject} {TOKEN}", sender="someone@northshire-scp.example")) is Kind.BOUNCE

    def test_a_bounce_finds_the_token_in_its_report_when_the_subject_has_none(self):
        c = classify(message("Undelivered Mail Returned to Sender", sender="mailer-daemon@northshire-police.example",
                             body=f"Your message 'Rapid review information request {TOKEN}' could not be delivered"),
                     panel_address=PANEL)
        assert c.kind is Kind.BOUNCE and c.token == TOKEN

    def test_a_bounce_that_also_says_it_was_sent_automatically_is_still_a_bounce(self):
        m = message(f"Undeliverable: request {TOKEN}", sender="postmaster@northshire-scp.example",
                    headers={"Auto-Submitted": "auto-replied"})
        assert kind(m) is Kind.BOUNCE


    @pytest.mark.parametrize(("sender", "subject"), [
        ("mailer-daemon@mail.example", "Delivery Status Notification (Delay)"),
        ("MAILER-DAEMON@mail.northshire-police.example", "Delayed Mail (still being retried)"),
        ("postmaster@northshire-scp.example", "Delivery delayed:Rapid review information request"),
    ])
    def test_a_delivery_delay_warning_is_not_a_bounce(self, sender, subject):
        c = classify(message(f"{subject} {TOKEN}", sender=sender), panel_address=PANEL)
        assert c.kind is Kind.DELAYED and c.token == TOKEN

    def test_a_person_writing_delivery_delayed_is_not_a_mail_system(self):
        assert kind(message(f"Delivery delayed, sorry {TOKEN}", attachments=(DOCX,))) is Kind.AGENCY_RETURN


class TestAutoReplies:
    @pytest.mark.parametrize("headers", [{"Auto-Submitted": "auto-replied"}, {"Auto-Submitted": "auto-generated"},
                                         {"Auto-Submitted": " Auto-Replied "}, {"X-Autoreply": "yes"},
                                         {"X-Autorespond": "Out of office"}, {"Precedence": "auto_reply"},
                                         {"Precedence": "junk"}])
    def test_a_message_marked_automatic_by_its_headers_is_an_auto_reply(self, headers):
        c = classify(message(f"Away {TOKEN}", headers=headers), panel_address=PANEL)
        assert c.kind is Kind.AUTO_REPLY and c.token == TOKEN

    @pytest.mark.parametrize("subject", ["Automatic reply: OFFICIAL-SENSITIVE: Rapid review information request",
                                         "Out of Office: Rapid review", "AutoReply: Rapid review",
                                         "  automatic reply: Rapid review"])
    def test_an_automatic_reply_subject_is_an_auto_reply(self, subject):
        assert kind(message(f"{subject} {TOKEN}")) is Kind.AUTO_REPLY

    def test_auto_submitted_no_means_a_person_sent_it(self):
        m = message(headers={"Auto-Submitted": "no", "Precedence": "list"}, attachments=(DOCX,))
        assert kind(m) is Kind.AGENCY_RETURN

    def test_a_person_mentioning_an_automatic_reply_later_in_the_subject_is_not_one(self):
        assert kind(message(f"RE: your Automatic reply {TOKEN}", attachments=(DOCX,))) is Kind.AGENCY_RETURN


class TestPanelReplies:
    @pytest.mark.parametrize("sender", [PANEL, "Review-Panel@National-Panel.Example"])
    def test_a_message_from_the_panel_address_is_a_panel_reply_in_any_case(self, sender):
        c = classify(message("RE: Rapid review: Northshire County Council - RR-2026-014", sender=sender),
                     panel_address="Review-Panel@national-panel.EXAMPLE")
        assert c.kind is Kind.PANEL_REPLY and c.token is None

    def test_another_address_at_the_panels_domain_is_not_the_panel(self):
        m = message("RE: Rapid review - RR-2026-014", sender="someone@national-panel.example")
        assert kind(m) is Kind.UNKNOWN

    def test_an_out_of_office_from_the_panel_is_an_auto_reply(self):
        m = message("Automatic reply: Rapid review - RR-2026-014", sender=PANEL)
        assert kind(m) is Kind.AUTO_REPLY


class TestAgencyReturns:
    def test_a_word_document_is_a_return_by_its_content_type_whatever_its_name(self):
        c = classify(message(attachments=(AttachmentInfo("0", "form", DOCX_TYPE, 10),)), panel_address=PANEL)
        assert c.kind is Kind.AGENCY_RETURN and c.token == TOKEN

    @pytest.mark.parametrize("name", ["return.pdf", "RETURN.PDF", "our return.docx"])
    def test_a_pdf_or_word_file_is_a_return_by_its_name_when_sent_as_octet_stream(self, name):
        attachment = AttachmentInfo("0", name, "application/octet-stream", 10)
        assert kind(message(attachments=(attachment,))) is Kind.AGENCY_RETURN

    def test_a_return_beside_a_signature_image_is_still_a_return(self):
        logo = AttachmentInfo("0", "logo.png", "image/png", 10)
        assert kind(message(attachments=(logo, PDF))) is Kind.AGENCY_RETURN

    @pytest.mark.parametrize("attachment", [AttachmentInfo("0", "return.doc", "application/msword", 10),
                                            AttachmentInfo("0", "scan.jpg", "image/jpeg", 10),
                                            AttachmentInfo("0", "return.docx.zip", "application/zip", 10)])
    def test_any_other_attachment_is_unknown_with_a_reason(self, attachment):
        c = classify(message(attachments=(attachment,)), panel_address=PANEL)
        assert c.kind is Kind.UNKNOWN and c.token == TOKEN
        assert c.reason == "attachment is not a Word or PDF document"

    @pytest.mark.parametrize(("info", "expected"), [
        (AttachmentInfo("0", "x", DOCX_TYPE, 1), "docx"),
        (AttachmentInfo("0", "x", "Application/PDF", 1), "pdf"),
        (AttachmentInfo("0", "Return.Docx", "application/octet-stream", 1), "docx"),
        (AttachmentInfo("0", "return.pdf.exe", "application/octet-stream", 1), None),
        (AttachmentInfo("0", "return.odt", "application/vnd.oasis.opendocument.text", 1), None),
    ])
    def test_return_kind_reads_the_content_type_then_the_name(self, info, expected):
        assert return_kind(info) == expected

    def test_a_return_without_any_request_reference_is_unknown(self):
        c = classify(message("Our return", attachments=(DOCX,)), panel_address=PANEL)
        assert c.kind is Kind.UNKNOWN and c.token is None
        assert c.reason == "no request reference in the subject or reply headers"


class TestNilReturns:
    @pytest.mark.parametrize("body", ["We have had no involvement with this family.", "Nil return.",
                                      "NIL RETURN from Northshire Police", "The child is not known to our service.",
                                      "Child A is not known to us.", "We have no records for Child A."])
    def test_the_agencys_own_words_saying_it_had_no_involvement_are_a_nil_return(self, body):
        c = classify(message(body=f"Hello,\n\n{body}\n\nRegards"), panel_address=PANEL)
        assert c.kind is Kind.NIL_RETURN and c.token == TOKEN

    @pytest.mark.parametrize("quoted", [
        '> If your agency had no involvement, reply with the words "no involvement".',
        '-----Original Message-----\nFrom: cspr-bot\nIf your agency had no involvement, reply "no involvement".',
        "On Tue, 5 Jan 2027 at 10:00, cspr-bot <cspr-bot@northshire-scp.example> wrote:\n> a nil return",
        "________________________________\nFrom: cspr-bot\nSent: 05 January 2027\nnil return",
    ])
    def test_a_nil_phrase_only_in_the_quoted_original_does_not_count(self, quoted):
        c = classify(message(body=f"Thanks, we will look into this.\n\n{quoted}\n"), panel_address=PANEL)
        assert c.kind is Kind.UNKNOWN
        assert c.reason == "reply without a return or a clear nil return"

    def test_a_nil_return_above_the_quoted_original_counts(self):
        body = "Nil return - no involvement.\n\n-----Original Message-----\nPlease complete the form."
        assert kind(message(body=body)) is Kind.NIL_RETURN

    def test_an_attached_return_wins_over_a_nil_phrase(self):
        assert kind(message(body="No involvement since 2020; earlier contact attached.", attachments=(DOCX,))) \
            is Kind.AGENCY_RETURN

    def test_a_nil_phrase_without_a_request_reference_is_unknown(self):
        assert kind(message("Nil return", body="No involvement.")) is Kind.UNKNOWN


class TestCorrelation:
    def test_a_token_with_a_wrong_check_code_does_not_correlate(self):
        wrong = "0000" if TOKEN.check != "0000" else "0001"
        c = classify(message(f"RE: request [CSPR RR-2026-014/POL-{wrong}]", attachments=(DOCX,)),
                     panel_address=PANEL)
        assert c.kind is Kind.UNKNOWN and c.token is None

    def test_a_token_typed_for_another_agency_does_not_correlate(self):
        assert find_token(f"[CSPR RR-2026-014/CSC-{TOKEN.check}]") is None

    def test_a_token_lower_cased_by_a_mail_client_still_correlates(self):
        assert find_token(f"re: {str(TOKEN).lower()}") == TOKEN

    def test_the_reply_token_is_used_when_the_subject_lost_the_token(self):
        c = classify(message("RE: Rapid review information request", attachments=(DOCX,)), panel_address=PANEL,
                     reply_token=TOKEN)
        assert c.kind is Kind.AGENCY_RETURN and c.token == TOKEN

    def test_the_token_in_the_subject_wins_over_the_reply_headers(self):
        other = token_for("RR-2026-014", "HLT")
        c = classify(message(attachments=(DOCX,)), panel_address=PANEL, reply_token=other)
        assert c.token == TOKEN

    def test_a_bad_token_in_the_subject_falls_back_to_the_reply_token(self):
        c = classify(message("RE: [CSPR RR-2026-014/POL-ZZZZ]", attachments=(DOCX,)), panel_address=PANEL,
                     reply_token=TOKEN)
        assert c.kind is Kind.AGENCY_RETURN and c.token == TOKEN


class TestDisplayNames:
    @pytest.mark.parametrize("from_header", [
        f'"{PANEL}" <someone@elsewhere.example>',
        "Child Safeguarding Practice Review Panel <someone@elsewhere.example>",
        f"=?utf-8?q?{PANEL.replace('@', '=40')}?= <someone@elsewhere.example>",
    ])
    def test_a_display_name_claiming_to_be_the_panel_does_not_make_a_panel_reply(self, from_header):
        m = parsed(from_header, "RE: Rapid review - RR-2026-014")
        assert m.sender == "someone@elsewhere.example"
        assert kind(m) is Kind.UNKNOWN

    def test_the_panels_address_under_any_display_name_is_the_panel(self):
        m = parsed(f'"Not the panel, honest" <{PANEL.upper()}>', "RE: Rapid review - RR-2026-014")
        assert kind(m) is Kind.PANEL_REPLY

    @pytest.mark.parametrize("name", ["Mail Delivery Subsystem", "MAILER-DAEMON", "postmaster@northshire-scp.example",
                                      "Automatic reply"])
    def test_a_display_name_that_sounds_automatic_does_not_hide_a_return(self, name):
        m = parsed(f'"{name}" <{POLICE}>', f"RE: Rapid review information request {TOKEN}", docx=True)
        assert kind(m) is Kind.AGENCY_RETURN


class TestOwnText:
    @pytest.mark.parametrize(("body", "expected"), [
        ("Nil return.\n> quoted", "Nil return."),
        ("Top line\n  > indented quote\nmore", "Top line"),
        ("Reply\n-- Original Message --\nold", "Reply"),
        ("Reply\nOn Mon, 4 Jan 2027, cspr-bot wrote:\nold", "Reply"),
        ("No quote at all\nsecond line", "No quote at all\nsecond line"),
        ("> all quoted", ""),
    ])
    def test_own_text_stops_at_the_quoted_original(self, body, expected):
        assert own_text(body) == expected


class TestSenderParsing:
    @pytest.mark.parametrize(("from_header", "expected"), [
        pytest.param('"Police" <a@police.example>', "a@police.example", id="quoted display name"),
        pytest.param("=?utf-8?q?a=40police.example?= <x@elsewhere.example>", "x@elsewhere.example",
                     id="encoded display name that looks like an address"),
        pytest.param("a@police.example <x@elsewhere.example>", "", id="unquoted address as display name"),
        pytest.param("a@police.example, x@elsewhere.example", "", id="two senders"),
        pytest.param("Bad <<x@elsewhere.example>", "", id="malformed"),
        pytest.param("A.Person@Police.Example", "a.person@police.example", id="bare address, lower-cased"),
    ])
    def test_only_a_single_well_formed_from_address_is_the_sender(self, from_header, expected):
        from bot.mail.mime import parse_message

        raw = f"From: {from_header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
        assert parse_message("m1", raw).sender == expected


class TestAutomaticMessagesWithDocuments:
    def test_an_auto_submitted_message_with_a_return_attached_is_left_for_a_person(self):
        from bot.ports import AttachmentInfo, InboundMessage

        m = InboundMessage(id="m1", internet_message_id="<m1@police.example>", subject="Auto: forms",
                           sender="a@police.example", received=datetime(2027, 1, 5, tzinfo=UTC),
                           headers=(("Auto-Submitted", "auto-generated"),),
                           attachments=(AttachmentInfo("0", "return.docx", "application/octet-stream", 10),))
        c = classify(m, panel_address="review-panel@national-panel.example")
        assert c.kind is Kind.UNKNOWN and "document" in c.reason
