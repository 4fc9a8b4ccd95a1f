import pytest
import yaml

from tests.conftest import REPO
from tweet_topics.errors import UserError
from tweet_topics.params import SECTIONS, load_section, validate_section

PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def test_params_yaml_has_exactly_the_schema():
    assert set(PARAMS) == set(SECTIONS)
    for section in SECTIONS:
        validate_section(section, PARAMS[section])


@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("kmeans", "n_clusters", 1, "an integer >= 2"),
    ("kmeans", "n_clusters", True, "an integer >= 2"),
    ("kmeans", "n_clusters", "8", "an integer >= 2"),
    ("pca", "n_components", 0, "a positive integer"),
    ("train", "C", -1, "a positive number"),
    ("featurize", "text_view", "raw", "'embedding' or 'keyword'"),
    ("ingest", "split_fractions", {"discovery": 0.8, "validation": 0.15, "evaluation": 0.15}, "summing to 1"),
])
def test_bad_values_name_the_key(section, key, value, message):
    values = {**PARAMS[section], key: value}
    with pytest.raises(UserError, match=rf"'{section}\.{key}' is .*{message}"):
        validate_section(section, values)


def test_unknown_key_is_named():
    with pytest.raises(UserError, match=r"unknown key 'kmeans\.n_cluster'"):
        validate_section("kmeans", {**PARAMS["kmeans"], "n_cluster": 10})


def test_missing_key_is_named():
    values = dict(PARAMS["train"])
    del values["C"]
    with pytest.raises(UserError, match=r"key 'train\.C' is missing"):
        validate_section("train", values)


def test_missing_file_and_section(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_section("kmeans", tmp_path / "params.yaml")
    (tmp_path / "params.yaml").write_text("pca: {n_components: 5, seed: 0}\n")
    with pytest.raises(UserError, match="section 'kmeans' is missing"):
        load_section("kmeans", tmp_path / "params.yaml")
