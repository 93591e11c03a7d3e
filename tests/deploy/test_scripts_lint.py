"""Every shell script under deploy/ parses (`bash -n`) and passes ShellCheck at its strictest level (style,
which includes info, warning and error), following sourced files (-x). Both come from the dev extras or bash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, dev_tool, run

SCRIPTS = sorted(DEPLOY.rglob("*.sh"))


def test_the_scripts_the_docs_name_are_all_here():
    names = {p.relative_to(DEPLOY).as_posix() for p in SCRIPTS}
    assert {"systemd/install.sh", "azure/deploy.sh", "azure/entra-app.sh", "azure/sites-selected.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_script_parses_passes_shellcheck_and_can_be_run_directly(script: Path):
    parsed = run(["bash", "-n", str(script)])
    assert parsed.returncode == 0, parsed.stderr
    checked = run([dev_tool("shellcheck"), "-x", "--severity=style", str(script)], cwd=script.parent)
    assert checked.returncode == 0, checked.stdout
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert os.access(script, os.X_OK), f"chmod +x {script.relative_to(DEPLOY.parent)}"


def test_shellcheck_does_report_a_flawed_script(tmp_path):
    """So that the check above cannot pass because the tool checks nothing."""
    flawed = tmp_path / "flawed.sh"
    flawed.write_text('#!/usr/bin/env bash\nrm -rf $1/*\n')
    done = run([dev_tool("shellcheck"), "-x", "--severity=style", str(flawed)])
    assert done.returncode != 0 and "SC2086" in done.stdout
