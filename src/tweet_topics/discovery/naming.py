"""Names and merges chosen by people, in topics/names.yaml, keyed by the stable topic ids (topic_identity.py) so they
survive retrains. Merges apply before the router is trained; a name or merge for an id that no topic has now is
reported (metrics/topic_changes.json and the report), never silently dropped."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from tweet_topics.errors import UserError


@dataclass(frozen=True)
class TopicNames:
    names: dict[int, str] = field(default_factory=dict)
    merges: list[list[int]] = field(default_factory=list)  # each group folds into its first id


def read_names(path: Path) -> TopicNames:
    """topics/names.yaml, validated; a missing file means no names."""
    if not path.is_file():
        return TopicNames()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or set(data) - {"names", "merge"}:
        raise UserError(f"{path}: expected the keys 'names' and 'merge' only, found {sorted(data)}")
    names = data.get("names") or {}
    if not isinstance(names, dict):
        raise UserError(f"{path}: 'names' must map topic ids to names, e.g. '3: Billing and refunds'")
    for key, value in names.items():
        if not isinstance(key, int) or isinstance(key, bool) or not isinstance(value, str) or not value.strip():
            raise UserError(f"{path}: names.{key} is {value!r}; each entry is a topic id and a non-empty name")
    merges = data.get("merge") or []
    if not isinstance(merges, list) or not all(
            isinstance(group, list) and len(group) >= 2 and all(isinstance(i, int) and not isinstance(i, bool)
                                                                for i in group) for group in merges):
        raise UserError(f"{path}: 'merge' must be a list of groups of topic ids, e.g. '- [2, 5]' (5 folds into 2)")
    seen = [topic for group in merges for topic in group]
    if len(seen) != len(set(seen)):
        raise UserError(f"{path}: merge lists topic {next(t for t in seen if seen.count(t) > 1)} twice;"
                        " put each topic in one group")
    return TopicNames({int(key): value.strip() for key, value in names.items()}, [list(g) for g in merges])


def apply_merges(topic_ids: dict[str, np.ndarray], present: list[int],
                 merges: list[list[int]]) -> tuple[dict[str, np.ndarray], list[list[int]], list[int]]:
    """Every split's topic ids with each merge group folded into its first present id; the groups applied (as
    applied: present ids only) and the ids named in a merge that no topic has."""
    mapping, applied = {}, []
    missing = sorted({topic for group in merges for topic in group} - set(present))
    for group in merges:
        here = [topic for topic in group if topic in present]
        if len(here) >= 2:
            applied.append(here)
            mapping.update({topic: here[0] for topic in here[1:]})
    if not mapping:
        return topic_ids, applied, missing
    lookup = np.vectorize(lambda topic: mapping.get(topic, topic), otypes=[np.int64])
    return {split: lookup(ids) if len(ids) else ids for split, ids in topic_ids.items()}, applied, missing
