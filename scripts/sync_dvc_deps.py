"""Write into dvc.yaml (and the optional pipelines) each stage's code deps and params from what its script imports
and loads, so nobody lists them by hand. tests/test_dvc_yaml.py fails when a file is out of date.

Why per-file deps and not the package folder: DVC reruns a stage when a dep changes, so with the folder as a dep a
change to predict.py would re-embed every tweet. The exact list keeps `dvc exp run -S kmeans.n_clusters=10` to the
stages that read it.

    python scripts/sync_dvc_deps.py          # rewrite the files
    python scripts/sync_dvc_deps.py --check  # exit 1 and name the stages that are out of date
"""

import argparse
import ast
import importlib
import sys
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
PIPELINE_FILES = ("dvc.yaml", "labelled/dvc.yaml", "score/dvc.yaml")
PACKAGE = "tweet_topics"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            names.add(node.module)
            # `from tweet_topics.text import cleaner` imports the module tweet_topics.text.cleaner
            names.update(f"{node.module}.{alias.name}" for alias in node.names
                         if module_file(f"{node.module}.{alias.name}").is_file())
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith(PACKAGE))
    return names


def module_file(module: str) -> Path:
    relative = REPO / "src" / Path(*module.split("."))
    return relative.with_suffix(".py") if relative.with_suffix(".py").is_file() else relative / "__init__.py"


def code_deps(script: Path) -> list[str]:
    """The stage script and every module of the package it imports, directly or not (package __init__s aside)."""
    seen, todo = {script}, list(imported_modules(script))
    while todo:
        path = module_file(todo.pop())
        if path in seen:
            continue
        seen.add(path)
        todo.extend(imported_modules(path))
    return sorted(path.relative_to(REPO).as_posix() for path in seen if path.name != "__init__.py")


def loaded_sections(script: Path) -> set[str]:
    """The params.yaml sections a stage script loads: the arguments of its `load_section` and `load_sections` calls,
    names (`*REDUCE_SECTIONS`) resolved through its imports."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name: node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}
    sections = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("load_section", "load_sections")):
            continue
        for argument in node.args:
            argument = argument.value if isinstance(argument, ast.Starred) else argument
            if isinstance(argument, ast.Constant):
                sections.add(argument.value)
            elif isinstance(argument, ast.Name):
                sections.update(getattr(importlib.import_module(imported[argument.id]), argument.id))
    return sections


def unread_keys(script: Path) -> set[str]:
    """The keys a stage script declares it loads but never reads, in a top-level UNREAD_PARAMS tuple (the sweep
    sets k itself, so kmeans.n_clusters must not rerun it)."""
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "UNREAD_PARAMS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def param_keys(sections: set[str], unread: set[str] = frozenset()) -> list[str]:
    """The keys of `sections` DVC tracks: all but `unread` and the engines (params.UNTRACKED_KEYS), which change
    where a stage runs and not what it writes."""
    from tweet_topics.params import UNTRACKED_KEYS

    params = YAML(typ="safe").load((REPO / "params.yaml").read_text(encoding="utf-8"))
    keys = [f"{section}.{key}" for section in params if section in sections for key in params[section]]
    return [key for key in keys if key not in unread and key not in UNTRACKED_KEYS]


def synced(stage: dict) -> tuple[list[str], list[str]]:
    """What a stage's deps and params should be: its data and other deps as they are, then its code."""
    script = REPO / stage["cmd"].split()[-1]
    data = [dep for dep in stage.get("deps", []) if not str(dep).endswith(".py")]
    return data + code_deps(script), param_keys(loaded_sections(script), unread_keys(script))


def sync(check: bool) -> list[str]:
    """Rewrite (or with `check`, only compare) every pipeline file; the stages that were out of date."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    stale = []
    for name in PIPELINE_FILES:
        path = REPO / name
        document = yaml.load(path.read_text(encoding="utf-8"))
        for stage_name, stage in document["stages"].items():
            deps, params = synced(stage)
            if [str(dep) for dep in stage.get("deps", [])] != deps or list(stage.get("params", [])) != params:
                stale.append(f"{name}: {stage_name}")
                if not check:
                    stage["deps"] = _same_comments(stage["deps"], deps)
                    if "params" in stage:
                        stage["params"] = _same_comments(stage["params"], params)
                    elif params:  # right after deps, where the other stages have it
                        stage.insert(list(stage).index("deps") + 1, "params", _same_comments([], params))
        if stale and not check:
            with path.open("w", encoding="utf-8") as handle:
                yaml.dump(document, handle)
    return stale


def _same_comments(old, new: list[str]):
    """`new` as a list that keeps the comments `old` had on the items both hold."""
    from ruamel.yaml.comments import CommentedSeq

    result = CommentedSeq(new)
    if isinstance(old, CommentedSeq):
        for index, item in enumerate(new):
            if item in old and old.index(item) in old.ca.items:
                result.ca.items[index] = old.ca.items[old.index(item)]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stages that are out of date")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    stale = sync(args.check)
    if stale:
        print(("out of date (run python scripts/sync_dvc_deps.py): " if args.check else "updated: ")
              + ", ".join(stale))
    sys.exit(1 if stale and args.check else 0)


if __name__ == "__main__":
    main()
