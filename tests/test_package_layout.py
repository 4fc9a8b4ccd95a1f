"""The library reads as its architecture: sub-packages that each say what lives there, and modules short enough to
hold in one's head."""

import ast

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "tweet_topics"
MAX_MODULE_LINES = 300
SUB_PACKAGES = ("io", "tweets", "text", "encoding", "reduction", "discovery", "evaluation", "routing", "scale")
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py", "errors.py", "params.py", "paths.py", "stage.py"}


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_module_is_under_300_lines(module):
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_MODULE_LINES, f"{module.relative_to(REPO)} has {lines} lines: split it by idea"


def test_each_sub_package_says_in_a_docstring_what_lives_there():
    for name in SUB_PACKAGES:
        docstring = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8")))
        assert docstring and len(docstring.splitlines()) <= 2, f"tweet_topics.{name} needs a short docstring"


def test_only_the_frame_lives_at_the_top_level():
    assert {path.name for path in PACKAGE.glob("*.py")} == TOP_LEVEL
    assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()} == set(
        SUB_PACKAGES)
