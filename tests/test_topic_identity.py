"""A retrained model's topics keep their ids and names (matched by the tweets they hold, in the embedding space);
splits, merges, new and gone topics are reported; people's names and merges apply and survive a retrain."""

import json

import numpy as np
import pandas as pd
import pytest

from tweet_topics.discovery.descriptions import typicality
from tweet_topics.discovery.naming import TopicNames, apply_merges, read_names
from tweet_topics.discovery.topic_changes import changes_markdown
from tweet_topics.discovery.topic_identity import align, reach, topic_means
from tweet_topics.discovery.topic_model import Reference, accept, build_topics, read_reference
from tweet_topics.errors import UserError

DIMENSION = 16
MODEL = {"name": "test-model", "fingerprint": "f" * 64, "dimension": DIMENSION}


def groups(sizes: list[int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings in well separated groups (one direction each) and each row's group."""
    rng = np.random.default_rng(seed)
    directions = np.eye(DIMENSION)[: len(sizes)]
    group = np.repeat(np.arange(len(sizes)), sizes)
    return (directions[group] + rng.normal(scale=0.05, size=(len(group), DIMENSION))).astype(np.float32), group


def accepted(embeddings: np.ndarray, labels: np.ndarray, ids: list[int]) -> Reference:
    means = topic_means(embeddings, labels, len(ids))
    return Reference(ids, means, reach(typicality(embeddings, labels, means), labels, len(ids)))


def test_the_same_topics_numbered_otherwise_keep_their_ids():
    embeddings, group = groups([60, 40, 30])
    reference = accepted(embeddings, group, [7, 3, 12])
    renumbered = np.array([2, 0, 1])[group]  # KMeans numbered them differently this time
    alignment = align(reference.ids, reference.means, reference.reach, embeddings, renumbered, 3)
    assert alignment.ids == [3, 12, 7] and alignment.status == ["kept"] * 3
    assert alignment.changes()["kept"] == [3, 7, 12] and not alignment.gone


def test_a_topic_of_identical_tweets_is_kept_too():
    """Every tweet of the "no words" topic has the same embedding: its reach is the cosine 1, exactly."""
    from tweet_topics.reduction.neighbours import normalise_rows

    embeddings, group = groups([40, 30])
    # a row whose cosine to its own stored (rounded) mean falls a hair below 1
    row = next(j for j in np.flatnonzero(group == 1)
               if normalise_rows(embeddings[j:j + 1])[0] @ np.round(normalise_rows(embeddings[j:j + 1])[0], 6) < 1)
    embeddings[group == 1] = embeddings[row]
    reference = accepted(embeddings, group, [0, 1])
    reference = Reference(reference.ids, np.round(reference.means, 6), np.round(reference.reach, 6))
    assert reference.reach[1] == 1.0
    alignment = align(reference.ids, reference.means, reference.reach, embeddings, group, 2)
    assert alignment.status == ["kept", "kept"]


def test_a_split_a_merge_a_new_topic_and_a_gone_one_are_reported():
    embeddings, group = groups([80, 40, 40, 30, 50])
    reference = accepted(embeddings[group < 4], group[group < 4], [0, 1, 2, 3])  # group 4 is new today
    # today: group 0 split in two, groups 1 and 2 merged, group 3 gone (its tweets are not here), group 4 new
    today = group != 3
    current = np.select([group == 0, (group == 1) | (group == 2), group == 4], [0, 2, 3])[today]
    current[np.flatnonzero(group[today] == 0)[40:]] = 1
    alignment = align(reference.ids, reference.means, reference.reach, embeddings[today], current, 4)
    changes = alignment.changes()
    assert alignment.status[0] == "kept" and alignment.ids[0] == 0
    assert alignment.status[1] == "split" and changes["split"] == {"0": [0, alignment.ids[1]]}
    assert alignment.status[2] == "kept" and alignment.ids[2] in (1, 2)
    merged_away = ({1, 2} - {alignment.ids[2]}).pop()
    assert changes["merged"] == {str(merged_away): alignment.ids[2]}
    assert alignment.status[3] == "new" and changes["gone"] == [3]
    assert len(set(alignment.ids)) == 4 and min(alignment.ids[1], alignment.ids[3]) >= 4  # new ids follow the old
    text = changes_markdown(changes, {"topics": [{"topic": i, "label": f"words {i}"} for i in alignment.ids]})
    assert "| split | 0 |" in text and "| gone | 3 | - |" in text and "| new | - |" in text


def write_names(tmp_path, text: str):
    path = tmp_path / "names.yaml"
    path.write_text(text)
    return path


def test_names_file_is_read_and_checked(tmp_path):
    assert read_names(tmp_path / "absent.yaml") == TopicNames()
    names = read_names(write_names(tmp_path, "names:\n  3: Billing and refunds\nmerge:\n  - [2, 5]\n"))
    assert names == TopicNames({3: "Billing and refunds"}, [[2, 5]])
    for text, message in [("names: [a]\n", "'names' must map topic ids"),
                          ("names:\n  three: x\n", "names.three"),
                          ("merge:\n  - [2]\n", "'merge' must be a list of groups"),
                          ("merge:\n  - [2, 5]\n  - [5, 6]\n", "merge lists topic 5 twice"),
                          ("nmes: {}\n", "expected the keys 'names' and 'merge' only"),
                          ("names: {3: [\n", "not valid YAML")]:
        with pytest.raises(UserError, match=message):
            read_names(write_names(tmp_path, text))


def test_merges_fold_into_the_first_present_id_and_report_absent_ones():
    ids = {"discovery": np.array([1, 2, 5, 5, 9]), "evaluation": np.array([5, 9])}
    merged, applied, missing = apply_merges(ids, [1, 2, 5, 9], [[2, 5], [9, 40], [30, 31]])
    assert merged["discovery"].tolist() == [1, 2, 2, 2, 9] and merged["evaluation"].tolist() == [2, 9]
    assert applied == [[2, 5]] and missing == [30, 31, 40]


def discovery_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"tweet_id": np.arange(n), "text": [f"tweet {i}" for i in range(n)],
                         "keyword_text": [f"word{i % 7} other{i % 5} more{i % 3}" for i in range(n)],
                         "brand": "Bank", "brand_keywords": "bank"})


def test_names_and_merges_survive_a_retrain_that_numbers_the_topics_otherwise(tmp_path):
    embeddings, group = groups([60, 50, 40, 30])
    frame = discovery_frame(len(group))
    first = build_topics({"discovery": group}, 4, embeddings, frame, read_reference(tmp_path / "none.json", MODEL),
                         TopicNames(), MODEL)
    assert [t["topic"] for t in first.described["topics"]] == [0, 1, 2, 3]
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "topics.json").write_text(json.dumps(first.described))
    accept(tmp_path / "models" / "topics.json", tmp_path / "reference.json")

    # people name topic 2 and fold topic 3 into 1; the retrain's KMeans numbers the groups the other way round
    names = TopicNames({2: "Login problems", 1: "Orders"}, [[1, 3]])
    retrained = build_topics({"discovery": 3 - group, "evaluation": 3 - group[:10]}, 4, embeddings, frame,
                             read_reference(tmp_path / "reference.json", MODEL), names, MODEL)
    topics = retrained.described["topics"]
    assert [(t["topic"], t["name"], t["merged_from"]) for t in topics] == [
        (0, None, []), (1, "Orders", [3]), (2, "Login problems", [])]
    by_index = np.array([t["topic"] for t in topics])[retrained.labels["discovery"]]
    assert by_index.tolist() == np.where(group == 3, 1, group).tolist()  # each tweet keeps its topic's id
    assert retrained.changes["kept"] == [0, 1, 2, 3] and retrained.changes["merges_applied"] == [[1, 3]]

    # a name for a topic that is gone is reported, not dropped
    later = build_topics({"discovery": group[group < 3]}, 3, embeddings[group < 3], frame[group < 3],
                         read_reference(tmp_path / "reference.json", MODEL), TopicNames({3: "Refunds"}), MODEL)
    assert later.changes["gone"] == [3] and later.changes["names_without_topic"] == {"3": "Refunds"}


def test_a_reference_from_other_embedding_weights_is_not_used(tmp_path):
    embeddings, group = groups([30, 30])
    first = build_topics({"discovery": group}, 2, embeddings, discovery_frame(60),
                         read_reference(tmp_path / "none.json", MODEL), TopicNames(), MODEL)
    (tmp_path / "topics.json").write_text(json.dumps(first.described))
    accept(tmp_path / "topics.json", tmp_path / "reference.json")
    other = read_reference(tmp_path / "reference.json", {**MODEL, "fingerprint": "0" * 64})
    assert other.ids == [] and "other embedding weights" in other.note
