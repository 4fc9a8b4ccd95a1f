# The pipeline in a container that runs offline: CPU PyTorch, the requirements, this package, the NLTK data and the
# embedding model are all baked in at build time. Build: docker build -t tweet-topics .
# Run:   docker run --rm -v "$PWD/data:/app/data" -v "$PWD/models:/app/models" -v "$PWD/metrics:/app/metrics" \
#          -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e TWEET_TOPICS_PULL=1 -e TWEET_TOPICS_PUSH=1 tweet-topics
# Serve: docker run --rm -p 8000:8000 -v "$PWD/models:/app/models:ro" tweet-topics serve
#          the HTTP service (tweet-topics serve) on 0.0.0.0:8000 in the container: POST /predict, GET /topics,
#          /health, /ready (README, "Serve"); `docker stop` sends SIGTERM and requests in flight finish.
# The entrypoint's environment (remote, keys, pull/push, serve's host and port) is documented in
# scripts/docker-entrypoint.sh.
FROM python:3.11-slim-bookworm

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG APP_UID=10001

# DVC needs git even when it runs without a repository; nothing else comes from apt.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    NLTK_DATA=/opt/nltk_data \
    NUMBA_CACHE_DIR=/tmp/numba_cache \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# What the pipeline needs at run time (tests/test_container.py runs the entrypoint with these too)
ENV PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DVC_NO_ANALYTICS=1

RUN python -m venv /opt/venv
WORKDIR /app

# torch first, from the CPU index: from PyPI it would pull a CUDA build of several GB
COPY requirements.txt ./
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0 \
    && pip install -r requirements.txt

COPY pyproject.toml README.md ./
COPY src ./src
COPY scripts ./scripts
RUN pip install --no-deps -e . \
    && python scripts/install_nltk_data.py --dir "$NLTK_DATA" \
    && python -c "from tweet_topics.encoding.weights import load_encoder; load_encoder('sentence-transformers/all-MiniLM-L6-v2', 'cpu')"

RUN groupadd --gid "$APP_UID" app && useradd --create-home --uid "$APP_UID" --gid app app
COPY --chown=app:app . .
RUN mkdir -p data/00_raw models metrics .dvc/cache && chown -R app:app /app
USER $APP_UID:$APP_UID

VOLUME ["/app/data", "/app/models", "/app/metrics", "/app/.dvc/cache"]
# `serve`: the HTTP service
EXPOSE 8000
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
