"""`cspr-bot provision` and `doctor` as a user runs them, against the Graph emulator; and the Graph
client's safety: no plain http off loopback, the token only for the Graph host, secrets never shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kiota_abstractions.api_error import APIError

from bot.adapters.graph.client import GraphConfigError, StaticTokenCredential, check_base_url, make_client
from bot.bootstrap import graph_credential
from bot.settings import GraphSettings, Settings, load_settings
from tests.conftest import DEFAULT_CONFIG, ROOT
from tests.graph_emulator import GraphEmulator

EXE = str(Path(sys.executable).parent / "cspr-bot")
SITE = ("northshire.sharepoint.example", "sites/cspr")


def graph_config(tmp_path: Path, base_url: str) -> Path:
    text = DEFAULT_CONFIG.read_text().replace('timezone = "Europe/London"',
                                              'timezone = "Europe/London"\nbackend = "graph"')
    text += (f'\n[graph]\nauth = "static_token"\nbase_url = "{base_url}"\n'
             f'site = "northshire.sharepoint.example:/sites/cspr"\n')
    path = tmp_path / "m365.toml"
    path.write_text(text)
    return path


def cspr(config: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPR_BOT_STATIC_TOKEN": token}
    return subprocess.run([EXE, "--config", str(config), "--workspace", str(config.parent / "ws"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


class TestProvisionAndDoctor:
    def test_provision_creates_the_lists_once_and_doctor_passes_every_check(self, tmp_path):
        with GraphEmulator() as g:
            g.add_mailbox("cspr-bot@northshire-scp.example")
            site = g.add_site(*SITE)
            config = graph_config(tmp_path, g.base_url)
            first = cspr(config, "provision", token=g.token)
            assert first.returncode == 0, first.stderr
            assert "created list Cases" in first.stdout and "created list Agency requests" in first.stdout
            again = cspr(config, "provision", token=g.token)
            assert again.returncode == 0 and "nothing changed" in again.stdout
            assert {c["name"] for c in g.columns(site, "Cases")} >= {"LAAwareDate", "ApprovedForSubmission", "RAG"}
            assert "created mail folder cspr-bot/quarantine" in first.stdout
            sends_before = g.count("POST", r"/send$")
            doctor = cspr(config, "doctor", token=g.token)
            assert doctor.returncode == 0, doctor.stdout + doctor.stderr
            lines = doctor.stdout.strip().splitlines()
            assert len(lines) == 8 and all(line.startswith("ok") for line in lines)
            assert g.count("POST", r"/send$") == sends_before  # the doctor sends nothing
            assert g.messages("cspr-bot@northshire-scp.example", "drafts") == []  # its draft is gone

    def test_doctor_names_each_failure_and_its_fix(self, tmp_path: Path) -> None:
        with GraphEmulator() as g:
            g.add_mailbox("cspr-bot@northshire-scp.example")
            g.add_site(*SITE)
            doctor = cspr(graph_config(tmp_path, g.base_url), "doctor", token=g.token)
            assert doctor.returncode == 1
            assert "FAIL lists present with the expected columns" in doctor.stdout
            assert "fix: run `cspr-bot provision`" in doctor.stdout
            assert "ok   token acquired" in doctor.stdout

    def test_a_wrong_token_fails_the_doctor_without_showing_the_token(self, tmp_path):
        with GraphEmulator() as g:
            g.add_mailbox("cspr-bot@northshire-scp.example")
            g.add_site(*SITE)
            doctor = cspr(graph_config(tmp_path, g.base_url), "doctor", token="not-the-token-s3cr3t")
            assert doctor.returncode == 1 and "FAIL mailbox readable" in doctor.stdout
            assert "s3cr3t" not in doctor.stdout + doctor.stderr


class TestClientSafety:
    def test_plain_http_off_loopback_is_refused(self):
        with pytest.raises(GraphConfigError, match="plain http"):
            check_base_url("http://graph.example/v1.0")
        assert check_base_url("http://127.0.0.1:8080/v1.0/") == "http://127.0.0.1:8080/v1.0"

    def test_a_static_token_exists_only_for_loopback(self):
        with pytest.raises(GraphConfigError, match="loopback"):
            StaticTokenCredential("t", "https://graph.microsoft.com/v1.0")
        assert "t0k3n" not in repr(StaticTokenCredential("t0k3n", "http://127.0.0.1:1/v1.0"))

    def test_the_token_goes_only_to_the_graph_host(self):
        with GraphEmulator() as g:
            graph = make_client(StaticTokenCredential(g.token, g.base_url), base_url=g.base_url,
                                allowed_hosts=["graph.microsoft.com"])  # the emulator is not an allowed host
            from bot.adapters.graph.client import LoopThread

            loop = LoopThread()
            try:
                with pytest.raises(APIError) as refused:
                    loop.run(graph.users.by_user_id("cspr-bot@northshire-scp.example").mail_folders.get())
            finally:
                loop.close()
            assert refused.value.response_status_code == 401
            assert g.requests and all("authorization" not in r.headers for r in g.requests)

    def test_a_client_secret_never_appears_in_repr_or_logs(self, monkeypatch, caplog):
        secret = "Sup3r-s3cret-value~42"
        monkeypatch.setenv("CSPR_BOT_CLIENT_SECRET", secret)
        settings: Settings = load_settings(DEFAULT_CONFIG)
        settings = settings.model_copy(update={"graph": GraphSettings(
            auth="secret", tenant_id="00000000-0000-0000-0000-000000000001",
            client_id="00000000-0000-0000-0000-000000000002", site="northshire.sharepoint.example:/sites/cspr")})
        with caplog.at_level(logging.DEBUG):
            credential = graph_credential(settings)
            logging.getLogger("cspr_bot").info("credential %r settings %r", credential, settings)
        assert secret not in repr(credential) and secret not in repr(settings) and secret not in str(vars(settings))
        assert secret not in caplog.text
