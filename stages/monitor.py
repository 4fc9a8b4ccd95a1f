"""monitor (optional, score/dvc.yaml): compare the batch named by monitor.input (or each monitor.period of it) with
the tweets the trained models were fitted on, as `tweet-topics monitor` does: the report in data/08_monitor/, its
numbers in metrics/monitor.json for `dvc metrics diff` between batches, and each topic's share against its training
share in metrics/plots/monitor_shares.csv for `dvc plots`."""

import pandas as pd

from tweet_topics.io.atomic import atomic_file, write_json
from tweet_topics.io.remote import path_or_url
from tweet_topics.monitoring.monitor_file import monitor_file, summary_metrics
from tweet_topics.params import load_section
from tweet_topics.paths import MODELS, MONITOR_SHARES, MONITOR_SUMMARY, MONITORED
from tweet_topics.stage import run_stage


def main() -> None:
    params = load_section("monitor")
    result = monitor_file(MODELS, path_or_url(params.input), MONITORED, params, text_column=params.text_column,
                          progress=False)
    write_json(MONITOR_SUMMARY, summary_metrics(result))
    last = next(period["summary"] for period in reversed(result["periods"]) if period["summary"])
    shares = pd.DataFrame([{"topic": shift["topic_label"], "share": shift["share"],
                            "training_share": shift["training_share"], "change": shift["change"]}
                           for shift in sorted(last["topic_shifts"], key=lambda shift: shift["topic_id"])])
    with atomic_file(MONITOR_SHARES) as tmp:
        shares.to_csv(tmp, index=False)


if __name__ == "__main__":
    run_stage("monitor", main)
