"""The monitor: the emerging-issue test finds a group of new messages and keeps its false alarms at alpha, the
comparison is in the embedding space (in the reduced one the reference is placed as new messages are, else a clean
batch reads as drift), the shifts' tests, and `tweet-topics monitor` end to end on a small real router: an injected
group reported, a clean batch not, and every bad input one line with exit code 2 and nothing written."""

import json
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import CLINC150, PREDICT_TOPICS, REPO, trained_models
from tweet_topics.cli import main
from tweet_topics.monitoring.batch_monitor import DEFAULT_PARAMS
from tweet_topics.monitoring.emerging import EmergingIssueDetector
from tweet_topics.monitoring.reference import EMBEDDING, REDUCED, MonitorSpace
from tweet_topics.monitoring.shifts import holm, needs_human_shift, topic_shifts
from tweet_topics.params import ReductionParams, validate_section
from tweet_topics.paths import HANDOFF
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.reduce import fit_reducer

FAST = EmergingIssueDetector(permutations=99)


def clustered(rng, n: int, centres: np.ndarray, spread: float = 0.5) -> np.ndarray:
    """Points around the given centres, each drawn at random: a stand-in for embeddings of a few topics."""
    return (centres[rng.integers(len(centres), size=n)] + spread * rng.normal(size=(n, centres.shape[1]))
            ).astype(np.float32)


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(0)
    return rng, rng.normal(size=(12, 24)) * 1.5


def test_an_injected_group_is_found_and_holds_the_injected_messages(world):
    rng, centres = world
    reference = clustered(rng, 3000, centres)
    new_issue = clustered(rng, 25, rng.normal(size=(1, 24)) * 1.5, spread=0.3)
    batch = np.vstack([clustered(rng, 575, centres), new_issue])
    issues = FAST.detect(reference, batch)
    assert len(issues) == 1
    members = issues[0].members
    assert np.isin(np.arange(575, 600), members).mean() >= 0.8 and (members >= 575).mean() >= 0.8
    assert issues[0].p_value == pytest.approx(1 / 100) and issues[0].share == pytest.approx(len(members) / 600)


def test_clean_batches_raise_false_alarms_at_most_as_often_as_alpha_allows(world):
    rng, centres = world
    reference = clustered(rng, 2000, centres)
    alarms = [bool(FAST.detect(reference, clustered(rng, 400, centres))) for _ in range(30)]
    # at alpha 0.05, 5 or more alarms in 30 happen by chance 1.6% of the time
    assert sum(alarms) <= 4, alarms


def test_the_uncorrected_per_message_test_alarms_where_the_permutation_test_does_not(world):
    """Why the group is tested by permutation: with message_alpha loose enough, chance alone links unusual messages
    into groups of min_size, and only the shuffled batches say that such a group means nothing."""
    rng, centres = world
    reference = clustered(rng, 2000, centres)
    loose = replace(FAST, message_alpha=0.2, min_size=5)
    uncorrected = replace(loose, permutations=0, alpha=1.0)
    batches = [clustered(rng, 400, centres) for _ in range(10)]
    assert sum(bool(uncorrected.detect(reference, batch)) for batch in batches) >= 8
    assert sum(bool(loose.detect(reference, batch)) for batch in batches) <= 2


def test_a_drifted_batch_has_a_significant_drift_score_and_a_clean_one_not(world):
    rng, centres = world
    reference = clustered(rng, 2000, centres)
    clean = FAST.compare(reference, clustered(rng, 400, centres))
    drifted = FAST.compare(reference, clustered(rng, 400, centres[:3]))  # three topics only
    assert clean.drift_p_value > 0.05 and drifted.drift_p_value == pytest.approx(0.01)
    assert drifted.drift_score > clean.drift_score + 0.05


def smoothed_reducer(reference: np.ndarray):
    values = {"reduce": {"method": "smoothed-pca", "engine": "local"},
              "pca": {"n_components": 8, "whiten": False, "seed": 0, "max_fit_tweets": 200000},
              "umap": {"n_components": 5, "n_neighbors": 15, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50000},
              "smoothing": {"n_neighbors": 15, "steps": 2, "seed": 0, "max_fit_tweets": 50000}}
    return fit_reducer(reference, ReductionParams.from_sections(values))[0]


def test_the_reference_is_placed_leaving_itself_out_so_a_clean_batch_is_not_drift(world):
    rng, centres = world
    fitted, batch = clustered(rng, 2500, centres), clustered(rng, 500, centres)
    reducer = smoothed_reducer(fitted)
    reference = normalise_rows(fitted)  # unit length, as the handoff keeps its reference: the smoothing's own rows
    space = MonitorSpace.of(reducer, reference, 15, 10_000, 0, REDUCED)
    assert space.name == REDUCED
    fair = FAST.compare(space.reference, space.place(batch))
    # placed as the reducer fitted them, each reference point is smoothed towards itself: apart from any new batch
    naive = FAST.compare(space.place(reference), space.place(batch))
    assert fair.drift_p_value > 0.05 and not fair.issues
    assert naive.drift_p_value <= 0.05


def test_the_monitor_compares_in_the_embedding_space_and_the_reduced_one_needs_a_reducer_that_leaves_out(models):
    from tweet_topics.serving.router import TrainedTopics

    topics = TrainedTopics.load(models)  # its reducer is PCA, which has no neighbours to leave a tweet out of
    space = MonitorSpace.of(topics.reducer, topics.handoff.reference, topics.handoff.k, 10_000, 0)
    assert space.name == EMBEDDING and np.array_equal(space.reference, topics.handoff.reference)
    assert np.array_equal(space.place(topics.handoff.reference[:5]), topics.handoff.reference[:5])
    with pytest.raises(ValueError, match="cannot place its own reference"):
        MonitorSpace.of(topics.reducer, topics.handoff.reference, topics.handoff.k, 10_000, 0, REDUCED)


def test_holm_matches_its_definition():
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    assert adjusted.tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_a_topic_that_doubled_is_a_significant_shift_and_steady_ones_are_not():
    counts = np.array([400, 200, 200, 200])  # topic 0 doubled from 0.2 to 0.4
    shifts = topic_shifts(counts, np.array([0.2, 0.3, 0.25, 0.25]), [10, 11, 12, 13], ["a", "b", "c", "d"], 0.05)
    assert shifts[0]["topic_id"] == 10 and shifts[0]["significant"] and shifts[0]["change"] == pytest.approx(0.2)
    steady = topic_shifts(np.array([205, 295, 250, 250]), np.array([0.2, 0.3, 0.25, 0.25]), [0, 1, 2, 3],
                          list("abcd"), 0.05)
    assert not any(shift["significant"] for shift in steady)


def test_a_needs_human_rate_far_above_the_flag_rate_is_significant():
    assert needs_human_shift(30, 200, 0.05, 0.05)["significant"]
    assert not needs_human_shift(11, 200, 0.05, 0.05)["significant"]


def test_the_committed_params_are_the_monitors_defaults():
    committed = validate_section("monitor", yaml.safe_load((REPO / "params.yaml").read_text())["monitor"])
    assert replace(committed, input="-") == DEFAULT_PARAMS


# --- the command, on a small real router trained as tests/conftest.py's ---

@pytest.fixture(scope="module")
def drawn(twcs_sample):
    """800 inbound tweets of the sample drawn at random: the sample's rows come in runs of a brand and a day, so
    consecutive rows are not alike enough for a clean batch."""
    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False)
    return raw[raw["inbound"] == "True"].sample(800, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def models(drawn, tmp_path_factory):
    """Models trained on 500 of the drawn tweets."""
    return trained_models(tmp_path_factory.mktemp("monitor_models"), drawn.head(500))


@pytest.fixture(scope="module")
def later_tweets(drawn):
    """The other 300 drawn tweets, which no model saw: a clean batch."""
    return drawn.iloc[500:].reset_index(drop=True)


def translate_requests(n: int = 30) -> list[str]:
    clinc = pd.read_csv(CLINC150)
    return clinc[clinc["label"] == "translate"]["text"].head(n).tolist()


def monitor(models, *args, capsys) -> tuple[int, str, str]:
    try:
        main(["monitor", "--models", str(models), "--device", "cpu", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_reports_an_injected_group_and_describes_it(models, later_tweets, tmp_path, capsys):
    injected = translate_requests()
    batch = pd.DataFrame({"id": [f"t{i}" for i in range(len(later_tweets))] + [f"new{i}" for i in range(30)],
                          "text": later_tweets["text"].tolist() + injected})
    batch.to_csv(tmp_path / "batch.csv", index=False)
    code, _, err = monitor(models, str(tmp_path / "batch.csv"), "-o", str(tmp_path / "out"), capsys=capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "monitor.json").read_text())
    issues = result["periods"][0]["summary"]["emerging_issues"]
    assert len(issues) == 1, issues
    issue = issues[0]
    held = [identifier for identifier in issue["message_ids"] if identifier.startswith("new")]
    assert len(held) >= 15 and len(held) >= 0.6 * issue["messages"]
    assert issue["p_value"] <= 0.05 and any(word in issue["keywords"] for word in ("say", "spanish", "translate"))
    assert all(example["id"].startswith("new") for example in issue["examples"][:3])
    assert {"topic_id", "topic_label", "distance"} <= set(issue["nearest_topic"])
    report = (tmp_path / "out" / "monitor.md").read_text()
    assert issue["label"] in report and "map.png" in report and (tmp_path / "out" / "map.png").stat().st_size > 0
    assert "1 emerging issue" in err


def test_the_command_reports_no_issue_in_a_clean_batch(models, later_tweets, tmp_path, capsys):
    later_tweets[["tweet_id", "text"]].to_csv(tmp_path / "clean.csv", index=False)
    code, _, err = monitor(models, str(tmp_path / "clean.csv"), "-o", str(tmp_path / "out"), capsys=capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "monitor.json").read_text())["periods"][0]["summary"]
    assert summary["emerging_issues"] == [] and summary["n_messages"] == len(later_tweets)
    assert len(summary["topic_shifts"]) == PREDICT_TOPICS and summary["needs_human"]["rate"] is not None


def test_each_period_of_a_dated_file_is_compared(models, later_tweets, tmp_path, capsys):
    later_tweets[["tweet_id", "created_at", "text"]].to_csv(tmp_path / "dated.csv", index=False)
    code, _, err = monitor(models, str(tmp_path / "dated.csv"), "--period", "M", "-o", str(tmp_path / "out"),
                           capsys=capsys)
    assert code == 0, err
    periods = json.loads((tmp_path / "out" / "monitor.json").read_text())["periods"]
    assert [period["period"] for period in periods] == sorted(period["period"] for period in periods)
    assert sum(period["n_messages"] for period in periods) == len(later_tweets)


@pytest.mark.parametrize("case", ["empty", "one message", "undated with --period", "not found", "not a table"])
def test_a_bad_input_is_one_line_exit_2_and_writes_nothing(models, tmp_path, capsys, case):
    path, extra = tmp_path / "batch.csv", []
    if case == "empty":
        path.write_text("")
    elif case == "one message":
        path.write_text("text\nmy card was charged twice\n")
    elif case == "undated with --period":
        path.write_text("text\n" + "my card was charged twice\n" * 20)
        extra = ["--period", "W"]
    elif case == "not a table":
        path = tmp_path / "batch.parquet"
        path.write_bytes(b"\x00\x01 not parquet")
    code, out, err = monitor(models, str(path), "-o", str(tmp_path / "out"), *extra, capsys=capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and str(path.name) in err, err
    assert not (tmp_path / "out").exists()


def test_models_from_another_run_than_their_reference_are_refused(models, tmp_path, capsys):
    mixed = tmp_path / "models"
    shutil.copytree(models, mixed)
    reference = np.load(mixed / HANDOFF)
    np.savez(mixed / HANDOFF, **{name: reference[name] for name in reference.files}, extra=np.zeros(1))
    (tmp_path / "batch.csv").write_text("text\n" + "my card was charged twice\n" * 20)
    code, _, err = monitor(mixed, str(tmp_path / "batch.csv"), "-o", str(tmp_path / "out"), capsys=capsys)
    assert code == 2 and "handoff.npz" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
