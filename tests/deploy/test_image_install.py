"""What the image runs, run here without Docker: the wheel built from exactly the paths deploy/docker/Dockerfile
COPYs, installed into a fresh virtual environment, run from a folder that is not the repository.

The image builds the same wheel (`pip wheel .` on the same files) and installs it with `--no-index`. Its
dependencies are not installed again here: a `.pth` file makes this test environment's site-packages visible
to the fresh one, after the fresh one's own, so `bot` and its data come from the wheel and only the
dependencies come from here (the same versions the image resolves from pyproject's requirements, without
downloading them again in CI). Building needs setuptools and `wheel` in this environment (--no-build-isolation,
offline).
"""

from __future__ import annotations

import re
import shutil
import site
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, clean_env, run, wheel_sources

pytestmark = pytest.mark.e2e
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


class Image:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.outside = root / "elsewhere"  # the working directory: no config/, no templates/ of the repository
        self.outside.mkdir()
        self.config = self.outside / "cspr-bot.toml"
        shutil.copyfile(ROOT / "config" / "cspr-bot.toml", self.config)

    def cspr(self, *args: str) -> tuple[int, str, str]:
        done = run([str(self.venv / "bin" / "cspr-bot"), *args], cwd=self.outside,
                   env=clean_env(PYTHONDONTWRITEBYTECODE="1"), timeout=120)
        return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    image = Image(tmp_path_factory.mktemp("image"))
    # 1. The Docker build context: only what the builder stage COPYs (as Dockerfile.dockerignore lets in).
    context = image.root / "context"
    for source in wheel_sources():
        src, dst = ROOT / source, context / source
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    # 2. The wheel, offline.
    wheels = image.root / "wheels"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "--disable-pip-version-check", "--quiet", "--wheel-dir", str(wheels), str(context)])
    assert built.returncode == 0, (
        "building the wheel offline failed; it needs setuptools and `wheel` in this environment "
        f"(pyproject's dev extras):\n{built.stderr[-2000:]}")
    (wheel,) = wheels.glob("cspr_bot-*.whl")
    # 3. A fresh virtual environment with only that wheel, and this environment's dependencies behind it.
    made = run([sys.executable, "-m", "venv", "--without-pip", str(image.venv)])
    assert made.returncode == 0, made.stderr
    installed = run([sys.executable, "-m", "pip", "--python", str(image.venv / "bin" / "python"), "install",
                     "--no-deps", "--no-index", "--disable-pip-version-check", "--quiet", str(wheel)])
    assert installed.returncode == 0, installed.stderr
    (fresh_site,) = (image.venv / "lib").glob("python3.*/site-packages")
    (fresh_site / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return image


def test_the_code_comes_from_the_wheel_not_the_repository(image):
    done = run([str(image.venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"], cwd=image.outside,
               env=clean_env())
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(image.venv)


def test_version_and_help(image):
    code, out, err = image.cspr("--version")
    assert code == 0, err
    assert re.search(rf"\bcspr-bot\b.*\b{re.escape(VERSION)}$", out.strip()), out
    code, out, err = image.cspr("--help")
    assert code == 0, err
    assert re.search(r"^\s+run\b", out, re.M) and re.search(r"^\s+demo\b", out, re.M)


def test_the_demo_runs_from_the_installed_wheel_alone(image):
    """Email and Word templates must be inside the wheel: the working directory has none, nor does the image."""
    workspace = image.root / "demo"
    code, out, err = image.cspr("--config", str(image.config), "demo", "--workspace", str(workspace))
    assert code == 0, f"demo failed from the installed wheel:\n{err[-3000:]}"
    assert (workspace / "ledger.sqlite").is_file()
    assert list((workspace / "mail" / "sent" / "new").glob("*.eml")), "no mail sent: email templates missing?"
    assert list((workspace / "library").rglob("*.docx")), "no Word document made: document templates missing?"


def test_health_before_any_run_is_unhealthy_in_one_line(image):
    """The image's HEALTHCHECK (`cspr-bot health`): with no heartbeat yet it must say so, in one line, exit 1."""
    workspace = image.root / "never-run"
    workspace.mkdir()
    code, out, err = image.cspr("--config", str(image.config), "--workspace", str(workspace), "health")
    assert code == 1, f"exit {code}: {out}{err}"
    assert len(out.strip().splitlines()) == 1, out
