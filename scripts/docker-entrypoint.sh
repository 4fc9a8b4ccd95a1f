#!/usr/bin/env bash
# The container's entrypoint (see Dockerfile); it runs the same from a checkout, in the project it sits in.
#
#   no arguments   bring the pipeline up to date: [dvc pull] → dvc repro → dvc metrics show → [dvc push]
#   serve [...]    the HTTP service on the trained models in models/ (mount them, or `dvc pull` them first):
#                  `tweet-topics serve --host 0.0.0.0 --port 8000 [...]`, with no DVC at all; further arguments
#                  (--port, --device, ...) go to the command and override these
#   arguments      run them in the project, e.g. `dvc exp run -S kmeans.n_clusters=10` or
#                  `tweet-topics predict data/new/messages.csv -o data/07_scored/routed.csv`
#
# Environment (all optional):
#   DVC_REMOTE_URL         s3://bucket/prefix for the remote `storage` (default: the one in .dvc/config)
#   DVC_REMOTE_ENDPOINT    endpoint URL of an S3-compatible store (MinIO, SeaweedFS, R2, ...); leave unset for AWS
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
#                          the remote's credentials, read by DVC itself (an IAM role works as well on AWS)
#   TWEET_TOPICS_PULL=1    `dvc pull` first, so that only what the remote lacks is recomputed
#   TWEET_TOPICS_PUSH=1    `dvc push` after a successful `dvc repro`
#   KAGGLE_USERNAME, KAGGLE_KEY
#                          for the ingest stage's download when data/00_raw/twcs.csv is absent
#   TWEET_TOPICS_HOST, TWEET_TOPICS_PORT
#                          where `serve` listens (default 0.0.0.0 and 8000: every interface of the container)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

say() { echo "entrypoint: $*" >&2; }

if [ "${1:-}" = serve ]; then
    shift
    # exec: the service is the container's main process and gets its SIGTERM (requests in flight finish)
    exec tweet-topics serve --host "${TWEET_TOPICS_HOST:-0.0.0.0}" --port "${TWEET_TOPICS_PORT:-8000}" "$@"
fi

# The volumes may come in empty
mkdir -p data/00_raw models metrics
if [ ! -e .git ]; then
    # An image holds no git repository: DVC then runs without one (dvc exp needs git: mount a clone at /app)
    dvc config --local core.no_scm true
fi
if [ -n "${DVC_REMOTE_URL:-}" ]; then
    dvc remote modify --local storage url "$DVC_REMOTE_URL"
fi
if [ -n "${DVC_REMOTE_ENDPOINT:-}" ]; then
    dvc remote modify --local storage endpointurl "$DVC_REMOTE_ENDPOINT"
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ "${TWEET_TOPICS_PULL:-0}" = 1 ]; then
    say "dvc pull (what the remote lacks is recomputed by dvc repro)"
    dvc pull --allow-missing
fi
say "dvc repro"
dvc repro
dvc metrics show
if [ "${TWEET_TOPICS_PUSH:-0}" = 1 ]; then
    say "dvc push"
    dvc push
fi
