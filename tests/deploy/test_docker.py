"""deploy/docker/Dockerfile: hadolint's rules, and the image's contract read from the file.

There is no Docker engine here. `docker build -f deploy/docker/Dockerfile -t cspr-bot .` and `docker run --rm
cspr-bot --version` on a machine with one are what check the build itself; test_image_install.py runs what the
image installs (the wheel from exactly these COPY paths) in a fresh virtual environment.
"""

from __future__ import annotations

import json
import re

from tests.deploy.conftest import DEPLOY, DOCKERFILE, ROOT, dev_tool, dockerfile_stages, run, wheel_sources


def test_hadolint_finds_nothing():
    done = run([dev_tool("hadolint"), "--no-color", str(DOCKERFILE)])
    assert done.returncode == 0 and done.stdout == "", done.stdout


def test_hadolint_does_report_a_flawed_dockerfile(tmp_path):
    """So that the check above cannot pass because the tool checks nothing."""
    flawed = tmp_path / "Dockerfile"
    flawed.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\n")
    done = run([dev_tool("hadolint"), "--no-color", str(flawed)])
    assert done.returncode != 0 and "DL3007" in done.stdout


def test_the_runtime_stage_runs_cspr_bot_as_a_fixed_non_root_user_from_wheels_only():
    stages = dockerfile_stages()
    runtime = stages[-1]
    assert len(stages) == 3, "global ARG, builder, runtime"
    assert stages[1][0][1] == "${PYTHON_IMAGE} AS builder" and runtime[0][1] == "${PYTHON_IMAGE}"
    base = dict(stages[0])["ARG"]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm", base), "a pinned 3.11 patch release"

    def one(keyword: str) -> str:
        (value,) = [args for k, args in runtime if k == keyword]
        return value

    user = one("USER").split(":")
    assert user[0].isdigit() and int(user[0]) >= 10000 and user == [user[0], user[0]]
    assert json.loads(one("ENTRYPOINT")) == ["cspr-bot"] and json.loads(one("CMD")) == ["run"]
    assert one("HEALTHCHECK").endswith('CMD ["cspr-bot", "health"]')
    assert json.loads(one("VOLUME")) == ["/var/lib/cspr-bot"]
    env = one("ENV")
    for setting in ("CSPR_BOT_CONFIG=/etc/cspr-bot/cspr-bot.toml", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
        assert setting in env.split()
    assert not any(k in ("COPY", "ADD") for k, _ in runtime), "the runtime stage gets no source, only the wheels"
    (install,) = [args for k, args in runtime if k == "RUN"]
    assert "--mount=type=bind,from=builder,source=/wheels" in install
    assert "pip install --no-cache-dir --no-index --find-links=/wheels" in install
    assert not re.search(r"apt-get|gcc|build-essential|python3-dev", install), "no build tools in the runtime image"


def test_the_build_context_lets_in_exactly_what_the_builder_copies():
    """deploy/docker/Dockerfile.dockerignore starts from nothing (`*`) and lets paths back in with `!`: a COPY of
    anything else would fail the build, and anything more would be sent to the builder for nothing."""
    rules = [line for line in (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied = {s.rstrip("/") for s in wheel_sources()}
    assert allowed == copied
    assert all((ROOT / path).exists() for path in copied)
    assert {"**/__pycache__", "**/*.pyc"} <= set(rules)
