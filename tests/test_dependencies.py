"""What the code imports is declared in pyproject.toml, and the hashed locks pin a version of every declaration that
satisfies it: `pip install .` gets a working command, and setup.sh, CI and the image one environment."""

import ast
import importlib.metadata
import re
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
RUNTIME_CODE = ("src", "stages", "scripts")
TEST_CODE = ("tests", "bench", "research")
LOCKS = {"requirements.txt": (), "requirements-dev.txt": ("test", "lint", "ray"), "requirements-lint.txt": None}
# the optional engines' libraries, imported only where an engine is chosen (src/tweet_topics/scale)
OPTIONAL_EXTRAS = ("ray",)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def third_party_imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Top-level module -> the files importing it, for every module neither standard library nor this repository's."""
    local = {path.stem for folder in ("bench", "research", "tests", "stages", "scripts")
             for path in (REPO / folder).glob("*.py")}
    local |= {"tweet_topics", "tests"}
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, set()).add(path.relative_to(REPO).as_posix())
    return found


def declared(extras: tuple[str, ...] = ()) -> dict[str, Requirement]:
    requirements = [Requirement(line) for line in PYPROJECT["dependencies"]]
    for extra in extras:
        requirements += [Requirement(line) for line in PYPROJECT["optional-dependencies"][extra]]
    return {canonicalize_name(requirement.name): requirement for requirement in requirements}


def lock_pins(name: str) -> dict[str, str]:
    return {canonicalize_name(package): version for package, version in PIN.findall((REPO / name).read_text())}


def undeclared(modules: dict[str, set[str]], names: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, files in sorted(modules.items()):
        providers = {canonicalize_name(dist) for dist in distributions.get(module, [])}
        if not providers & names:
            missing.append(f"{module} (imported by {', '.join(sorted(files))}; installed from"
                           f" {sorted(providers) or 'nothing'})")
    return missing


def test_the_runtime_code_imports_only_declared_dependencies():
    assert not undeclared(third_party_imports(RUNTIME_CODE), set(declared(OPTIONAL_EXTRAS)))


def test_the_optional_engines_are_imported_only_by_the_scale_package():
    for module in ("ray",):
        assert {path for path in third_party_imports(RUNTIME_CODE).get(module, set())
                if not path.startswith("src/tweet_topics/scale/")} == set(), module


def test_the_tests_and_benchmarks_import_only_declared_dependencies():
    assert not undeclared(third_party_imports(TEST_CODE), set(declared(("test", "lint", *OPTIONAL_EXTRAS))))


def test_the_check_catches_an_undeclared_import():
    modules = {"scipy": {"src/x.py"}, "yaml": {"src/x.py"}}
    assert undeclared(modules, {"pyyaml"}) == [
        "scipy (imported by src/x.py; installed from ['scipy'])"]


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_each_lock_pins_every_declared_dependency_within_its_range(lock):
    pins = lock_pins(lock)
    for name, requirement in declared(LOCKS[lock]).items():
        if name == "torch":  # installed first by scripts/setup.sh, outside the hashed lock (its file differs per build)
            assert name not in pins
            continue
        assert name in pins, f"{lock} does not pin {name}: run bash scripts/lock.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (lock, name, pins[name])


def test_the_locks_agree_and_every_pin_is_hashed():
    dev = lock_pins("requirements-dev.txt")
    for lock in ("requirements.txt", "requirements-lint.txt"):
        pins = lock_pins(lock)
        assert pins and {name: dev.get(name) for name in pins} == pins, lock
    for lock in LOCKS:
        text = (REPO / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text[text.index("\n", text.index("pip-compile")):])
        assert all("--hash=sha256:" in entry for entry in entries if PIN.match(entry)), lock


def test_the_installed_environment_is_the_lock():
    pins = lock_pins("requirements-dev.txt")
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}
    assert {name: installed.get(name) for name in pins} == pins
