"""dvc.yaml lists, for each stage, exactly the code it imports and the params it reads (scripts/sync_dvc_deps.py
writes both; this fails when someone changed an import or a params section and did not run it)."""

import importlib.util

import pytest
import yaml

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("sync_dvc_deps", REPO / "scripts" / "sync_dvc_deps.py")
sync_dvc_deps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_dvc_deps)

STAGES = {name: stage for file in sync_dvc_deps.PIPELINE_FILES
          for name, stage in yaml.safe_load((REPO / file).read_text())["stages"].items()}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_code_deps_are_exactly_its_imports_and_its_params_the_sections_it_loads(name):
    stage = STAGES[name]
    deps, params = sync_dvc_deps.synced(stage)
    assert stage["deps"] == deps, "run python scripts/sync_dvc_deps.py"
    assert stage.get("params", []) == params, "run python scripts/sync_dvc_deps.py"
    assert stage["cmd"] == f"python stages/{name}.py"


def test_the_closure_follows_imports_through_modules():
    deps = sync_dvc_deps.code_deps(REPO / "stages" / "reduce.py")
    # reduce.py imports tweet_topics.reduction.reduce, which imports smoothing, which imports neighbours
    assert {"stages/reduce.py", "src/tweet_topics/reduction/reduce.py", "src/tweet_topics/reduction/smoothing.py",
            "src/tweet_topics/reduction/neighbours.py"} <= set(deps)
    assert "src/tweet_topics/encoding/embed.py" not in deps


def test_sections_given_by_name_are_resolved():
    sections = sync_dvc_deps.loaded_sections(REPO / "stages" / "evaluate.py")
    assert {"reduce", "smoothing", "pca", "umap", "kmeans", "stability", "handoff"} == sections


def test_an_engine_reruns_nothing_but_every_other_key_of_its_section_is_tracked():
    tracked = {key for stage in STAGES.values() for key in stage.get("params", [])}
    assert not {"featurize.engine", "reduce.engine"} & tracked
    assert {"featurize.model", "featurize.backend", "reduce.method"} <= tracked
    assert not [key for key in tracked if key.startswith("ray.")]
