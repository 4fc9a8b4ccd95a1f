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


BENCH, RESEARCH = REPO / "bench", REPO / "research"
MAX_BENCHMARKS = 10
SCRIPTS = sorted([*BENCH.glob("*.py"), *RESEARCH.glob("*.py")])


def test_bench_holds_a_few_maintained_benchmarks():
    benchmarks = sorted(path.name for path in BENCH.glob("*.py"))
    assert len(benchmarks) <= MAX_BENCHMARKS, f"bench/ has {len(benchmarks)} scripts: a concluded study goes to" \
                                              f" research/ and docs/STUDIES.md ({benchmarks})"


def scripts_of_ours(script) -> set[str]:
    """Module names that would be another file of ours: bench, research, stages and tests scripts, and the folders."""
    folders = ("bench", "research", "stages", "tests", "scripts")
    return {path.stem for folder in folders for path in (REPO / folder).glob("*.py") if path != script} | set(folders)


def code_strings(tree: ast.AST) -> list[str]:
    """The string constants of a module that are not docstrings."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def foreign_uses(script) -> list[str]:
    """What ties `script` to a file of ours other than the installed package: sys.path, or an import or a path of
    another bench, research, stage or test script."""
    text = script.read_text(encoding="utf-8")
    tree, ours = ast.parse(text), scripts_of_ours(script)
    found = ["sys.path"] if "sys.path" in text else []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.append(f"relative import from {'.' * node.level}{node.module or ''}")
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        found += [f"import {name}" for name in names if name.split(".")[0] in ours]
    found += [f"path {value!r}" for value in code_strings(tree) if value.endswith(".py") and value[:-3] in ours]
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(REPO)))
def test_benchmarks_and_studies_use_the_package_and_no_other_file_of_ours(script):
    assert not foreign_uses(script), f"{script.relative_to(REPO)}: {foreign_uses(script)}"


def test_the_layout_check_catches_a_study_reaching_another_file(tmp_path):
    study = tmp_path / "study.py"
    study.write_text('"""A study naming bench/bench_ray.py in its docstring is fine."""\nimport sys\n'
                     'sys.path.insert(0, "bench")\nfrom handoff_study import flagged\nimport stages.featurize\n'
                     'from . import helper\nSCRIPT = "featurize.py"\n', encoding="utf-8")
    uses = foreign_uses(study)
    assert uses[0] == "sys.path" and "import handoff_study" in uses and "import stages.featurize" in uses
    assert "relative import from ." in uses and "path 'featurize.py'" in uses
    (tmp_path / "clean.py").write_text('"""Uses research/handoff_study.py\'s figures."""\nimport numpy as np\n'
                                       'from tweet_topics.paths import SAMPLE\n', encoding="utf-8")
    assert foreign_uses(tmp_path / "clean.py") == []
