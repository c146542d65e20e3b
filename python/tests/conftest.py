"""Shared fixtures: the bundled models and the `starkml` command line."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "models" / "data"
MODELS = ["mlp_small", "mlp_medium", "mlp_large", "cnn_small", "logreg_iris"]


def cli_path():
    """The `starkml` binary: $STARKML_CLI, else the release build of this checkout."""
    if os.environ.get("STARKML_CLI"):
        return Path(os.environ["STARKML_CLI"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    found = target / "release" / "starkml"
    if found.exists():
        return found
    which = shutil.which("starkml")
    return Path(which) if which else None


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI; returns (exit code, stdout, stderr). CI sets STARKML_REQUIRE_CLI=1 so a
    missing binary fails instead of skipping."""
    path = cli_path()
    if path is None or not path.exists():
        msg = "the starkml CLI is not built (cargo build --release -p starkml-cli, or set STARKML_CLI)"
        if os.environ.get("STARKML_REQUIRE_CLI") == "1":
            pytest.fail(msg)
        pytest.skip(msg)

    def run(*args):
        p = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    return run


def data(name):
    return DATA / name


def load_json(name):
    return json.loads((DATA / name).read_text())
