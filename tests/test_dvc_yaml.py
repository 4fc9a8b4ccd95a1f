"""dvc.yaml lists, for each stage, exactly the code it imports and the params it reads."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tweet_topics.labelled_eval import PIPELINE_SECTIONS
from tweet_topics.manifest import RECORDED_SECTIONS

PIPELINE_FILES = ["dvc.yaml", "labelled/dvc.yaml", "score/dvc.yaml"]  # the main path and the optional stages
STAGES = {name: stage for file in PIPELINE_FILES
          for name, stage in yaml.safe_load((REPO / file).read_text())["stages"].items()}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tweet_topics"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("tweet_topics"))
    return names


def module_file(module: str) -> Path:
    relative = Path("src", *module.split("."))
    return relative.with_suffix(".py") if (REPO / relative.with_suffix(".py")).exists() else relative / "__init__.py"


def code_closure(script: Path) -> set[str]:
    """The stage script and every tweet_topics module it imports, directly or not (package __init__s aside)."""
    seen, todo = {script.relative_to(REPO).as_posix()}, list(imported_modules(script))
    while todo:
        path = module_file(todo.pop())
        if path.as_posix() in seen:
            continue
        seen.add(path.as_posix())
        todo.extend(imported_modules(REPO / path))
    return {p for p in seen if not p.endswith("__init__.py")}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_code_deps_are_exactly_its_imports(name):
    stage = STAGES[name]
    script = REPO / "stages" / f"{name}.py"
    code_deps = {d for d in stage["deps"] if d.endswith(".py")}
    assert code_deps == code_closure(script)
    assert stage["cmd"] == f"python stages/{name}.py"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_params_are_exactly_the_sections_it_loads(name):
    source = (REPO / "stages" / f"{name}.py").read_text()
    loaded = set(re.findall(r'load_section\("(\w+)"\)', source))
    for name_of_sections, sections in (("PIPELINE_SECTIONS", PIPELINE_SECTIONS),
                                       ("RECORDED_SECTIONS", RECORDED_SECTIONS)):
        if name_of_sections in source:
            loaded |= set(sections)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    declared = set(STAGES[name].get("params", []))
    assert declared == {f"{section}.{key}" for section in loaded for key in params[section]}
