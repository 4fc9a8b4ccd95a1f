"""Two `dvc repro` runs from scratch, in two separate copies of the project, give byte-identical outputs."""

import pytest
import yaml

from tests.dvc_project import dvc, make_project

pytestmark = pytest.mark.slow


def output_hashes(project) -> dict[str, str]:
    """Every output's md5 in dvc.lock (the timings, which always differ, are not outputs: paths.TIMINGS)."""
    return {f"{name}:{out['path']}": out["md5"]
            for name, stage in yaml.safe_load((project / "dvc.lock").read_text())["stages"].items()
            for out in stage.get("outs", [])}


def test_two_clones_from_scratch_give_identical_output_hashes(tmp_path_factory):
    params = {"ingest": {"max_inbound": 600}, "kmeans": {"n_clusters": 6},
              "sweep": {"k_values": [4, 6]}}
    runs = []
    for name in ("first", "second"):
        project = make_project(tmp_path_factory.mktemp(name), params)
        dvc("repro", cwd=project)
        runs.append(output_hashes(project))
    assert len(runs[0]) >= 20  # every stage's outputs, models and reports included
    assert runs[0] == runs[1]
