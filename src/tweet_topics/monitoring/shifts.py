"""Shifts a support lead reads beside the emerging issues: each topic's share of the batch against its share of the
training tweets, and the handoff's needs_human rate against the rate it was set to flag (handoff.flag_rate), each
with an exact binomial test; the topics' p-values are corrected for testing every topic (Holm)."""

import numpy as np
from scipy.stats import binomtest


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values: reject where <= alpha controls the family-wise error at alpha."""
    p_values = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p_values, kind="stable")
    scaled = p_values[order] * (len(p_values) - np.arange(len(p_values)))
    adjusted = np.empty_like(p_values)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def topic_shifts(counts: np.ndarray, training_shares: np.ndarray, topic_ids: list[int], labels: list[str],
                 alpha: float) -> list[dict]:
    """One row per topic, the largest change first: its messages and share in the batch, its training share, the
    Holm-adjusted p-value of that share under the training share, and whether the change is significant at alpha."""
    total = int(np.sum(counts))
    if total == 0:
        return []
    raw = [binomtest(int(count), total, float(min(max(share, 1e-12), 1 - 1e-12))).pvalue
           for count, share in zip(counts, training_shares, strict=True)]
    adjusted = holm(np.array(raw))
    rows = [{"topic_id": int(topic), "topic_label": label, "messages": int(count),
             "share": round(int(count) / total, 6), "training_share": round(float(share), 6),
             "change": round(int(count) / total - float(share), 6), "p_value": round(float(p), 6),
             "significant": bool(p <= alpha)}
            for topic, label, count, share, p in zip(topic_ids, labels, counts, training_shares, adjusted,
                                                     strict=True)]
    return sorted(rows, key=lambda row: (-abs(row["change"]), row["topic_id"]))


def needs_human_shift(flagged: int, total: int, expected_rate: float, alpha: float) -> dict:
    """The batch's needs_human rate against the rate the handoff's threshold was set to flag on ordinary traffic,
    with the one-sided p-value of a rate this high."""
    p_value = binomtest(flagged, total, expected_rate, alternative="greater").pvalue if total else 1.0
    return {"flagged": int(flagged), "rate": round(flagged / total, 6) if total else None,
            "expected_rate": expected_rate, "p_value": round(float(p_value), 6), "significant": bool(p_value <= alpha)}
