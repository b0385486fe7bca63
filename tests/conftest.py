from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hwcatalog import load_catalog
from planner import load_scenario

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(max_price_age_days=None)


@pytest.fixture(scope="session")
def toy_catalog():
    return load_catalog([DATA / "toy-overlay.yaml"], max_price_age_days=None)


@pytest.fixture()
def toy_scenario():
    return load_scenario(DATA / "toy-scenario.yaml")


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
