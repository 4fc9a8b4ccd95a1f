"""The library reads as its architecture: sub-packages that each say what lives there, in layers that import only
the layers below them, steps used through their interfaces, the chain composed in one place, and modules short
enough to hold in one's head."""

import ast
import re

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "tweet_topics"
MAX_MODULE_LINES = 300
SUB_PACKAGES = ("io", "tweets", "text", "encoding", "reduction", "discovery", "chain", "training", "serving",
                "evaluation", "monitoring", "scale")
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py", "errors.py", "params.py", "paths.py", "registry.py", "stage.py",
             "threads.py"}
# lowest first: a package or top-level module imports only those before it (and itself)
LAYERS = ("errors", "paths", "threads", "io", "params", "registry", "stage", "tweets", "text", "encoding",
          "reduction", "discovery", "chain", "training", "serving", "evaluation", "monitoring", "scale", "cli",
          "__main__")
# what a step's package offers the rest: its protocol, registry and entry points; the methods behind them are its own
STEP_INTERFACES = {
    "reduction": {"base", "methods", "reduce", "neighbours", "sampling"},
    "encoding": {"backends", "spec", "identity", "weights", "embed", "embedding_cache"},
}
# who may build a step from its settings: the chain, and the stage (or the Ray engine) that runs that one step
STEP_BUILDERS = {
    "fit_reducer": {"src/tweet_topics/chain/topics.py", "stages/reduce.py"},
    "fit_kmeans": {"src/tweet_topics/chain/topics.py", "stages/cluster.py"},
    "load_text_encoder": {"src/tweet_topics/chain/embedding.py", "stages/featurize.py",
                          "src/tweet_topics/scale/ray_embed.py"},
    "TextViews.from_params": {"src/tweet_topics/chain/embedding.py", "stages/preprocess.py"},
}


def module_name(path) -> str:
    return ".".join(("tweet_topics", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def imports_of_ours(path) -> set[str]:
    """The package's modules `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tweet_topics."):
            for alias in node.names:  # `from tweet_topics.text import cleaner` imports the module
                module = f"{node.module}.{alias.name}"
                found.add(module if (PACKAGE / module.split(".", 1)[1].replace(".", "/")).with_suffix(".py").exists()
                          else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("tweet_topics."))
    return found


IMPORTS = {module_name(path): imports_of_ours(path) for path in PACKAGE.rglob("*.py")}


def test_no_import_circle():
    def circle_from(start: str, path: list[str]) -> list[str] | None:
        for imported in sorted(IMPORTS.get(path[-1], ())):
            if imported == start:
                return [*path, start]
            if imported not in path and imported in IMPORTS and imported > start:  # each circle found once
                found = circle_from(start, [*path, imported])
                if found:
                    return found
        return None

    circles = [circle for module in sorted(IMPORTS) if (circle := circle_from(module, [module]))]
    assert not circles, f"import circles: {circles}"


def test_each_layer_imports_only_the_layers_below():
    upward = [f"{module} imports {imported}" for module, imports in IMPORTS.items() for imported in imports
              if LAYERS.index(imported.split(".")[1]) > LAYERS.index(module.split(".")[1])]
    assert not upward, f"imports from a higher layer: {upward}"
    assert {module.split(".")[1] for module in IMPORTS if "." in module} <= set(LAYERS)


def test_nobody_reads_a_steps_internals():
    reads = [f"{module} imports {imported}" for module, imports in IMPORTS.items() for imported in imports
             for step, interface in STEP_INTERFACES.items()
             if imported.startswith(f"tweet_topics.{step}.") and not module.startswith(f"tweet_topics.{step}.")
             and imported.split(".")[2] not in interface]
    assert not reads, f"modules that reach behind a step's interface: {reads}"


def test_the_chain_is_composed_in_one_place():
    files = [*PACKAGE.rglob("*.py"), *(REPO / "stages").glob("*.py")]
    for builder, allowed in STEP_BUILDERS.items():
        callers = {str(path.relative_to(REPO)) for path in files
                   if re.search(rf"(?<![\w.]){re.escape(builder)}\(", path.read_text(encoding="utf-8"))
                   and not re.search(rf"def {re.escape(builder.split('.')[-1])}\(", path.read_text(encoding="utf-8"))}
        assert callers <= allowed, f"{builder} is called outside the chain and its own stage: {callers - allowed}"


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


@pytest.mark.parametrize("name", ["scripts/setup.sh", "Dockerfile", ".ci/run"])
def test_the_setup_scripts_import_modules_that_exist(name):
    """setup.sh and the Dockerfile run the package inline (`python -c "from tweet_topics... import ..."`); a module
    moved without them breaks set-up on a fresh machine, which no import of the package itself would show."""
    path = REPO / name
    if not path.exists():
        pytest.skip(f"{name} is not in this checkout")
    for module, names in re.findall(r"from (tweet_topics[\w.]*) import ([\w, ]+)", path.read_text()):
        file = PACKAGE.parent.joinpath(*module.split("."))
        source = file.with_suffix(".py") if file.with_suffix(".py").exists() else file / "__init__.py"
        assert source.exists(), f"{name} imports {module}, which is not a module of the package"
        defined = {node.name for node in ast.walk(ast.parse(source.read_text()))
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        for imported in (n.strip() for n in names.split(",")):
            assert imported in defined, f"{name} imports {imported} from {module}, which does not define it"
