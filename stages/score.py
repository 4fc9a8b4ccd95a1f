"""score (optional, score/dvc.yaml): route the new messages named by score.input with the trained models into
data/07_scored/, exactly as `tweet-topics predict` does, with topic shares and confidence in metrics/score.json;
with score.engine ray, in parts on a Ray cluster, joined into the same bytes."""

from tweet_topics.io.atomic import write_json
from tweet_topics.io.remote import path_or_url
from tweet_topics.params import load_section
from tweet_topics.paths import MODELS, SCORE_SUMMARY, SCORED
from tweet_topics.serving.predict import predict_file
from tweet_topics.stage import run_stage


def main() -> None:
    params = load_section("score")
    if params.engine == "ray":
        from tweet_topics.scale.ray_predict import RouteJob, score_on_ray

        job = RouteJob(str(MODELS.resolve()), text_column=params.text_column)
        summary = score_on_ray(job, path_or_url(params.input), SCORED)
    else:
        summary = predict_file(MODELS, path_or_url(params.input), SCORED, text_column=params.text_column)
    write_json(SCORE_SUMMARY, summary)


if __name__ == "__main__":
    run_stage("score", main)
