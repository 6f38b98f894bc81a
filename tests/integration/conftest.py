"""Shared fixtures for the integration tests: where the built programs are."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("LOFT_BUILD_DIR", ROOT / "build"))


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    if not (BUILD / "build.ninja").exists():
        pytest.fail(f"no build in {BUILD}: run `make test` (or set LOFT_BUILD_DIR)")
    return BUILD
