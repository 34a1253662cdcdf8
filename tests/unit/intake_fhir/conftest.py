import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / ".." / "shared" / "data" / "fhir"
EXAMPLE = REPO / "docs" / "fhir" / "example-bundle.json"
KEY = b"unit-test-pseudonym-key"
TODAY = date(2025, 6, 1)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def example() -> dict[str, Any]:
    return copy.deepcopy(load(EXAMPLE))
