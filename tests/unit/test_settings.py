"""Settings: the shipped files load, and every kind of mistake names the key, the problem and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.rules import ClockStart
from bot.settings import ConfigError, load_settings
from tests.conftest import DEFAULT_CONFIG, ROOT

TEXT = DEFAULT_CONFIG.read_text()


def load_text(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "cspr-bot.toml"
    path.write_text(text)
    return load_settings(path)


def error_for(tmp_path: Path, old: str, new: str) -> str:
    assert old in TEXT, f"test setup: {old!r} is not in the shipped config"
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, TEXT.replace(old, new, 1))
    return str(caught.value)


class TestShippedSettings:
    def test_the_default_file_describes_one_fictional_partnership(self, settings):
        assert [p.id for p in settings.partnerships] == ["northshire"]
        p = settings.partnerships[0]
        addresses = [a.lead_address for a in p.agencies] + [lead.address for lead in p.leads]
        assert addresses and all(a.endswith(".example") for a in addresses)
        assert settings.panel.address.endswith(".example")
        assert p.rapid_review_clock is ClockStart.SIN_SUBMITTED
        assert p.agency_return_working_days == 7

    def test_the_pan_county_example_holds_three_partnerships(self):
        s = load_settings(ROOT / "config" / "pan-county.example.toml")
        assert len(s.partnerships) == 3
        assert len({p.id for p in s.partnerships}) == 3
        assert {p.to_domain().clock for p in s.partnerships} == {ClockStart.SIN_SUBMITTED, ClockStart.LA_AWARE}

    def test_allowed_sender_domains_default_to_the_agency_addresses(self, settings):
        police = settings.partnerships[0].to_domain().agency("POL")
        assert police is not None
        assert police.allowed_domains == ("northshire-police.example",)

    def test_closure_days_reach_the_partnership_calendar(self, tmp_path):
        s = load_text(tmp_path, TEXT.replace("closure_days = []", "closure_days = [2026-12-24]", 1))
        cal = s.partnerships[0].to_domain().policy.calendar
        assert not cal.is_working_day(__import__("datetime").date(2026, 12, 24))


class TestSettingsErrors:
    def test_a_missing_key_is_named_with_its_table(self, tmp_path):
        msg = error_for(tmp_path, 'mailbox_address = "cspr-bot@northshire-scp.example"\n', "")
        assert "bot.mailbox_address" in msg and "required key is missing" in msg and "Fix: add" in msg

    def test_a_misspelt_key_is_named_and_the_fix_is_to_correct_it(self, tmp_path):
        msg = error_for(tmp_path, "agency_return_working_days = 7", "agency_return_workingdays = 7")
        assert "partnerships[0].agency_return_workingdays" in msg and "spelling" in msg

    def test_a_bad_address_names_the_agency_entry(self, tmp_path):
        msg = error_for(tmp_path, 'lead_address = "named.nurse@northshire-health.example"',
                        'lead_address = "named nurse at health"')
        assert "partnerships[0].agencies[2].lead_address" in msg
        assert "'named nurse at health' is not an email address" in msg and "Fix:" in msg

    def test_an_unknown_clock_lists_the_allowed_values(self, tmp_path):
        msg = error_for(tmp_path, 'rapid_review_clock = "sin_submitted"', 'rapid_review_clock = "whenever"')
        assert "partnerships[0].rapid_review_clock" in msg
        assert "sin_submitted" in msg and "la_aware" in msg and "'whenever'" in msg

    def test_a_closure_day_that_is_not_a_date_says_how_to_write_one(self, tmp_path):
        msg = error_for(tmp_path, "closure_days = []", 'closure_days = ["24th December"]')
        assert "partnerships[0].closure_days[0]" in msg and "YYYY-MM-DD" in msg

    def test_the_domestic_abuse_service_must_be_one_of_the_agencies(self, tmp_path):
        msg = error_for(tmp_path, 'domestic_abuse_service = "DAS"', 'domestic_abuse_service = "WAS"')
        assert "domestic_abuse_service 'WAS'" in msg and "POL" in msg and "Fix:" in msg

    def test_two_agencies_may_not_share_a_code(self, tmp_path):
        msg = error_for(tmp_path, 'code = "GP"', 'code = "POL"')
        assert "'POL' is used twice" in msg

    def test_an_out_of_range_number_is_refused(self, tmp_path):
        msg = error_for(tmp_path, "agency_return_working_days = 7", "agency_return_working_days = 40")
        assert "partnerships[0].agency_return_working_days" in msg and "40" in msg

    def test_broken_toml_gets_a_position_and_a_fix(self, tmp_path):
        msg = error_for(tmp_path, 'tick_minutes = 5', 'tick_minutes = = 5')
        assert "not valid TOML" in msg and "line" in msg and "Fix:" in msg

    def test_a_missing_file_says_how_to_point_at_one(self, tmp_path):
        with pytest.raises(ConfigError, match="no such configuration file.*--config"):
            load_settings(tmp_path / "nope.toml")

    def test_two_partnerships_may_not_share_an_id(self, tmp_path):
        block = TEXT[TEXT.index("[[partnerships]]"):]
        with pytest.raises(ConfigError, match="share an id"):
            load_text(tmp_path, TEXT + "\n" + block)
