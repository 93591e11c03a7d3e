"""Every Word template renders with a full context, leaves no tags, shows every value, re-opens, and
carries the classification in header and footer; values are data, escaped, and cleaned."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from docxtpl import DocxTemplate

from bot.bootstrap import documents_for
from bot.documents.examples import EXAMPLES
from bot.documents.render import DEFAULT_DOCUMENTS, DocumentTemplates, TemplateError, clean
from bot.settings import ConfigError, load_settings
from tests.conftest import DEFAULT_CONFIG


def text_of(data: bytes) -> tuple[str, str, str]:
    """Body (paragraphs and table cells), header and footer text of a .docx."""
    d = docx.Document(io.BytesIO(data))
    body = [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]
    section = d.sections[0]
    return ("\n".join(body), "\n".join(p.text for p in section.header.paragraphs),
            "\n".join(p.text for p in section.footer.paragraphs))


def leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in leaves(v)]
    return [value] if isinstance(value, str) and value else []


@pytest.fixture(scope="module")
def templates() -> DocumentTemplates:
    return DocumentTemplates()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
class TestEveryTemplate:
    def test_renders_with_no_tags_left_and_every_value_shown(self, templates, name):
        body, header, footer = text_of(templates.render(name, EXAMPLES[name]).data)
        everything = "\n".join((body, header, footer))
        assert "{{" not in everything and "{%" not in everything and "}}" not in everything
        used = DocxTemplate(str(templates.path(name))).get_undeclared_template_variables()
        assert used, "the template uses no keys at all"
        missing = [v for k in sorted(used) for v in leaves(EXAMPLES[name][k]) if v not in everything]
        assert missing == []

    def test_carries_the_classification_in_header_and_footer(self, templates, name):
        context = {**EXAMPLES[name], "classification": "OFFICIAL-SENSITIVE [PERSONAL]"}
        _, header, footer = text_of(templates.render(name, context).data)
        assert "OFFICIAL-SENSITIVE [PERSONAL]" in header and "OFFICIAL-SENSITIVE [PERSONAL]" in footer

    def test_uses_only_keys_the_bot_provides(self, templates, name):
        assert templates.unknown_keys(name) == []


class TestValuesAreData:
    def test_ampersands_and_angle_brackets_survive(self, templates):
        context = {**EXAMPLES["delay_notice"], "reason": "Police & health returns < 2 days late > expected"}
        body, _, _ = text_of(templates.render("delay_notice", context).data)
        assert "Police & health returns < 2 days late > expected" in body

    def test_jinja_syntax_in_a_value_is_printed_not_run(self, templates):
        context = {**EXAMPLES["delay_notice"], "reason": "{{ 7 * 7 }} {% for x in range(3) %}x{% endfor %}"}
        body, _, _ = text_of(templates.render("delay_notice", context).data)
        assert "{{ 7 * 7 }} {% for x in range(3) %}x{% endfor %}" in body and "49" not in body

    def test_markup_in_a_value_cannot_inject_wordprocessingml(self, templates):
        injected = '</w:t></w:r><w:r><w:t>INJECTED'
        context = {**EXAMPLES["delay_notice"], "reason": injected}
        body, _, _ = text_of(templates.render("delay_notice", context).data)
        assert injected in body

    def test_characters_xml_cannot_hold_are_stripped_and_counted(self, templates):
        context = {**EXAMPLES["delay_notice"], "reason": "late\x00 return\x0b from\ufffe health"}
        rendered = templates.render("delay_notice", context)
        body, _, _ = text_of(rendered.data)
        assert rendered.stripped == 3 and "late return from health" in body

    def test_clean_reaches_into_lists_and_dicts(self):
        cleaned, n = clean({"a": ["x\x01", {"b": "y\x02"}], "c": 5})
        assert cleaned == {"a": ["x", {"b": "y"}], "c": 5} and n == 2


class TestPartnershipTemplates:
    def test_a_partnership_folder_overrides_one_template_and_keeps_the_rest(self, tmp_path):
        doc = docx.Document()
        doc.add_paragraph("Our own wording for {{ case_ref }}")
        doc.sections[0].header.paragraphs[0].text = "{{ classification }}"
        doc.save(tmp_path / "delay_notice.docx")
        templates = DocumentTemplates([tmp_path])
        body, _, _ = text_of(templates.render("delay_notice", EXAMPLES["delay_notice"]).data)
        assert "Our own wording for RR-2026-014" in body
        assert templates.path("rapid_review_report") == DEFAULT_DOCUMENTS / "rapid_review_report.docx"

    def test_an_unknown_key_fails_at_start_naming_the_template_and_the_key(self, tmp_path):
        doc = docx.Document()
        doc.add_paragraph("Dear {{ childs_full_name }}")
        doc.save(tmp_path / "family_notification_letter.docx")
        with pytest.raises(TemplateError, match=r"family_notification_letter\.docx: unknown key 'childs_full_name'"):
            DocumentTemplates([tmp_path]).check()
        config = tmp_path / "cspr-bot.toml"
        config.write_text(DEFAULT_CONFIG.read_text().replace(
            'domestic_abuse_service = "DAS"', f'domestic_abuse_service = "DAS"\ndocument_templates = "{tmp_path}"'))
        with pytest.raises(ConfigError, match="childs_full_name"):
            documents_for(load_settings(config))

    def test_the_shipped_templates_pass_the_start_check(self):
        assert set(documents_for(load_settings(DEFAULT_CONFIG))) == {"northshire"}

    def test_every_shipped_template_is_a_file_word_can_open(self):
        for name in EXAMPLES:
            path: Path = DEFAULT_DOCUMENTS / f"{name}.docx"
            assert docx.Document(str(path)).paragraphs, name
