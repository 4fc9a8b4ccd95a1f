"""score (optional, score/dvc.yaml): route the new messages named by score.input with the trained models into
data/07_scored/, exactly as `tweet-topics predict` does, with topic shares and confidence in metrics/score.json."""

from pathlib import Path

from tweet_topics.atomic import write_json
from tweet_topics.params import load_section
from tweet_topics.predict import predict_file
from tweet_topics.router import Router
from tweet_topics.stage import run_stage

MODELS_DIR = Path("models")
OUT_FILE = Path("data/07_scored/predictions.csv")
METRICS_FILE = Path("metrics/score.json")


def main() -> None:
    params = load_section("score")
    router = Router.load(MODELS_DIR)
    device = router.manifest["params"]["featurize"]["device"]
    summary = predict_file(router, Path(params["input"]), OUT_FILE, params["text_column"], device=device)
    write_json(METRICS_FILE, summary)


if __name__ == "__main__":
    run_stage("score", main)
