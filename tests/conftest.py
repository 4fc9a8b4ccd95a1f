from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TWCS_SAMPLE = SHARED_DATA / "twcs_sample.csv"


@pytest.fixture(scope="session")
def twcs_sample() -> Path:
    if not TWCS_SAMPLE.is_file():
        pytest.skip(f"{TWCS_SAMPLE} is absent (the shared data folder must sit beside the repository)")
    return TWCS_SAMPLE
