"""The design documents cite the figures the pipeline produced: every `N (`file.json` → `key`)` in docs/ must
equal the committed JSON value to the digits shown (timings, which vary run to run, within a factor of 1.5)."""

import json
import re

import pytest

from tests.conftest import REPO

DOCS = ("ARCHITECTURE.md", "PIPELINE.md", "CI_CD_CT.md", "MONITORING_SECURITY.md")
CITATION = re.compile(r"(-?\d[\d,]*(?:\.\d+)?) \(`([^`]+\.json)` → `([^`]+)`\)")
TIMING_FACTOR = 1.5


def lookup(values, key: str):
    """The value at a dotted key path; a key may itself hold dots (`share_below_0.5`)."""
    if isinstance(values, dict) and key in values:
        return values[key]
    for cut in [i for i, char in enumerate(key) if char == "."]:
        head, rest = key[:cut], key[cut + 1:]
        if isinstance(values, dict) and head in values:
            return lookup(values[head], rest)
        if isinstance(values, list) and head.isdigit() and int(head) < len(values):
            return lookup(values[int(head)], rest)
    raise KeyError(key)


def citations(text: str) -> list[tuple[str, str, str]]:
    return CITATION.findall(text)


def check(shown: str, path: str, key: str) -> str | None:
    """Why a citation is wrong, or None."""
    file = REPO / path
    if not file.is_file():
        return f"{path} does not exist"
    try:
        actual = float(lookup(json.loads(file.read_text()), key))
    except (KeyError, TypeError, ValueError):
        return f"{path} has no number at {key}"
    number = float(shown.replace(",", ""))
    if path.startswith("metrics/timings/"):
        ok = actual > 0 and 1 / TIMING_FACTOR <= number / actual <= TIMING_FACTOR
    else:
        decimals = len(shown.split(".")[1]) if "." in shown else 0
        ok = abs(actual - number) <= 0.5 * 10 ** -decimals + 1e-12  # the value rounded to the digits shown
    return None if ok else f"{shown} cited, {path} → {key} is {actual}"


@pytest.mark.parametrize("name", DOCS)
def test_doc_exists_and_every_cited_figure_matches_its_file(name):
    text = (REPO / "docs" / name).read_text()
    found = citations(text)
    wrong = [f"{name}: {problem}" for problem in (check(*c) for c in found) if problem]
    assert not wrong, "\n".join(wrong)


def test_the_docs_cite_the_pipeline_figures_not_just_prose():
    found = [c for name in DOCS for c in citations((REPO / "docs" / name).read_text())]
    cited_files = {path for _, path, _ in found}
    assert len(found) >= 15, found
    assert {"metrics/metrics.json", "metrics/labelled.json"} <= cited_files, cited_files


def test_the_check_catches_a_stale_figure():
    macro_f1 = json.loads((REPO / "metrics" / "metrics.json").read_text())["evaluation"]["macro_f1"]
    assert check(f"{macro_f1:.4f}", "metrics/metrics.json", "evaluation.macro_f1") is None
    assert check(f"{macro_f1 - 0.001:.4f}", "metrics/metrics.json", "evaluation.macro_f1") is not None
    assert check("20,820", "metrics/ingest.json", "inbound_tweets") is None
    assert check("1", "metrics/metrics.json", "no.such.key") == "metrics/metrics.json has no number at no.such.key"
    assert check("1", "metrics/absent.json", "x") == "metrics/absent.json does not exist"
    assert lookup({"a": {"share_below_0.5": 0.2}}, "a.share_below_0.5") == 0.2
