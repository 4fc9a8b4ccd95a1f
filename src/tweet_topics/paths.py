"""Every file and folder the pipeline reads or writes, relative to the project root: the one place a path is spelled
in Python. dvc.yaml spells the same paths for DVC; tests/test_dvc_yaml.py checks that each stage's deps and outs
are these."""

from pathlib import Path

PARAMS = Path("params.yaml")

SAMPLE = Path("data/sample/twcs_sample.csv.xz")  # the committed excerpt of twcs.csv (ingest.source: sample)
INGESTED = Path("data/01_ingested")
QUARANTINE = "quarantine.csv"  # in INGESTED: every inbound row ingest dropped, and why
PREPARED = Path("data/02_prepared")
PREPROCESSED = Path("data/03_preprocessed")
EMBEDDINGS = Path("data/04_embeddings")
ENCODER = "encoder.json"  # in EMBEDDINGS: which weights made the embeddings, and how they ran
# vectors by text, reused across runs; not a DVC output (stages/featurize.py says why); TWEET_TOPICS_EMBEDDING_CACHE
# puts it elsewhere (a shared disk)
EMBEDDING_CACHE = Path("data/embedding_cache")
# the foreign messages (foreign.path) embedded as a routed message is, for evaluate's detection rate
FOREIGN_EMBEDDINGS = Path("data/04_foreign/embeddings.npy")
REDUCED = Path("data/05_reduced")
CLUSTERED = Path("data/06_clustered")
SCORED = Path("data/07_scored/predictions.csv")
MONITORED = Path("data/08_monitor")  # the monitor stage's report: monitor.json, monitor.md and its figures

MODELS = Path("models")
# the trained router's artifacts, in MODELS (or another models folder: predict --models)
MANIFEST = "manifest.json"
REDUCER = "reducer.npz"
CLASSIFIER = "classifier.npz"
TOPICS = "topics.json"
HANDOFF = "handoff.npz"  # the out-of-topic scorer and its needs_human threshold

ACCEPTED_TOPICS = Path("topics/reference.json")
TOPIC_NAMES = Path("topics/names.yaml")

METRICS = Path("metrics/metrics.json")
INGEST_COUNTS = Path("metrics/ingest.json")
CLUSTER_SIZES = Path("metrics/cluster_sizes.json")
TOPIC_CHANGES = Path("metrics/topic_changes.json")
CLASSIFICATION_REPORT = Path("metrics/classification_report.json")
LABELLED_SCORES = Path("metrics/labelled.json")
SCORE_SUMMARY = Path("metrics/score.json")
MONITOR_SUMMARY = Path("metrics/monitor.json")
PLOTS = Path("metrics/plots")
RELIABILITY = PLOTS / "reliability.csv"
HANDOFF_TRADEOFF = PLOTS / "handoff_tradeoff.csv"
MONITOR_SHARES = PLOTS / "monitor_shares.csv"
K_SWEEP = PLOTS / "k_sweep.csv"
REPORT = Path("reports")
EVALUATION_PREDICTIONS = "evaluation_predictions.csv"  # in REPORT

# git-ignored and not a DVC output: timings differ on every run, and a fresh `dvc repro` of the committed run must
# leave dvc.lock and metrics/ as they are (bench/repro_cost.py keeps a run's timings as a committed result)
TIMINGS = Path("timings")
