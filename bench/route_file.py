"""One message file routed by predict's local engine or on Ray, in batches of a given size, as a process of its own:
bench/bench_ray.py times both engines so, each started cold (the process's imports and the router's load included,
as a `tweet-topics predict` command pays them; on Ray each actor pays them too).

    python bench/route_file.py local MODELS SOURCE.csv OUTPUT.csv BATCH
    RAY_ADDRESS=HOST:PORT python bench/route_file.py ray MODELS SOURCE.csv OUTPUT_FOLDER BATCH PART_BATCHES
"""

import sys
from pathlib import Path


def main(engine: str, models: str, source: str, output: str, batch: str, part_batches: str = "0") -> None:
    if engine == "ray":
        from tweet_topics.scale.ray_predict import RouteJob, predict_on_ray

        job = RouteJob(str(Path(models).resolve()), "text", None, None, "csv", None, None)
        predict_on_ray(job, Path(source), Path(output), int(batch), int(part_batches))
        return
    from tweet_topics.routing.messages import read_batches
    from tweet_topics.routing.predict import predict_stream
    from tweet_topics.routing.router import Router, TrainedTopics

    topics = TrainedTopics.load(Path(models))
    router = Router.load(Path(models), None, None, topics)
    predict_stream(topics, router.assess, read_batches(Path(source), "csv", "text", None, int(batch)), Path(output),
                   "csv", progress=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
