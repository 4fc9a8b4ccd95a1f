"""Paths are spelled once in Python (tweet_topics/paths.py), and dvc.yaml's data deps and outs are those paths."""

import ast
import os
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tweet_topics import paths

PIPELINE_FILES = ("dvc.yaml", "labelled/dvc.yaml", "score/dvc.yaml")
# a string that names one of the project's own files or folders
PROJECT_PATH = re.compile(r"^(data/|models|metrics/|topics/|reports|timings|params\.yaml)")


def registry() -> set[str]:
    """Every path paths.py names: its Path constants, the files it names inside a folder, and their folders."""
    folders = {value for value in vars(paths).values() if isinstance(value, Path)}
    names = [value for name, value in vars(paths).items() if isinstance(value, str) and name.isupper()]
    files = {folder / name for folder in folders for name in names}
    return {str(path) for path in folders | files} | {str(path.parent) for path in folders}


def python_files() -> list[Path]:
    return [path for folder in ("src", "stages") for path in sorted((REPO / folder).rglob("*.py"))
            if path.name != "paths.py"]


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(REPO)))
def test_no_module_but_paths_spells_a_project_path(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    spelled = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in docstrings
               and isinstance(node.value, str) and PROJECT_PATH.match(node.value)]
    assert not spelled, f"{path.relative_to(REPO)} spells {spelled}: name them in tweet_topics/paths.py"


def stage_paths() -> list[tuple[str, str]]:
    found = []
    for file in PIPELINE_FILES:
        for name, stage in yaml.safe_load((REPO / file).read_text())["stages"].items():
            for entry in stage.get("deps", []) + stage.get("outs", []) + stage.get("metrics", []):
                path = entry if isinstance(entry, str) else next(iter(entry))
                found.append((f"{file}:{name}", path))
    return found


def test_every_data_dep_and_out_in_dvc_yaml_is_a_registered_path():
    known = registry()
    # code, and the inputs a param names (ingest.raw_path's default folder, labelled.path, score.input)
    unregistered = [(stage, path) for stage, path in stage_paths()
                    if not path.startswith(("src/", "stages/", "${")) and path != "data/00_raw"
                    and path not in known and Path(path).parent != paths.PLOTS]  # evaluate names each plot table
    assert not unregistered, f"name these in tweet_topics/paths.py: {unregistered}"


def test_the_check_catches_a_path_spelled_outside_the_registry():
    assert "data/05_reduced" in registry() and "models/manifest.json" in registry()
    assert "data/05_reduce" not in registry()
    assert PROJECT_PATH.match("metrics/new.json") and not PROJECT_PATH.match("metrics")


def top_level_plot_files(file: str) -> list[str]:
    """The data files a pipeline file's top-level `plots:` names, from the repo root (DVC reads them relative to
    the folder of the dvc.yaml that names them, not to a stage's wdir)."""
    found = []
    for plot in yaml.safe_load((REPO / file).read_text()).get("plots", []):
        title, definition = next(iter(plot.items())) if isinstance(plot, dict) else (plot, None)
        targets = (definition or {}).get("y", {})
        found += list(targets) if isinstance(targets, dict) else [title]
    return [os.path.normpath(Path(file).parent / name) for name in found]


@pytest.mark.parametrize("file", PIPELINE_FILES)
def test_every_top_level_plot_names_a_file_a_stage_writes(file):
    written = {path for _, path in stage_paths()}
    missing = [name for name in top_level_plot_files(file) if name not in written]
    assert not missing, f"{file}'s plots name {missing}, which no stage writes (paths are relative to {file}'s folder)"
