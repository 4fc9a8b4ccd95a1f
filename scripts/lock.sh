#!/usr/bin/env bash
# Compile the hashed lock files from pyproject.toml with pip-tools:
#   requirements.txt       the runtime environment (the Dockerfile installs it)
#   requirements-dev.txt   runtime, tests, linters and Ray (scripts/setup.sh and CI install it)
#   requirements-lint.txt  the linters alone (the CI lint job)
# torch is left out of all three (installed first by setup.sh: its file differs between the CPU and CUDA builds).
# Versions already in a lock stay unless pyproject.toml rules them out; pass --upgrade to move to the newest allowed.
# Usage: bash scripts/lock.sh [--upgrade]
set -euo pipefail
cd "$(dirname "$0")/.."

tools=.tools/piptools
if [ ! -x "$tools/bin/pip-compile" ]; then
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
fi
compile=("$tools/bin/pip-compile" --quiet --generate-hashes --strip-extras --unsafe-package torch
         --no-emit-index-url --no-emit-find-links --no-emit-trusted-host "$@")

"${compile[@]}" --extra test --extra lint --extra ray --output-file requirements-dev.txt pyproject.toml
# the other two start from the dev lock, so all three hold the same version of a package
cp requirements-dev.txt requirements.txt
"${compile[@]}" --output-file requirements.txt pyproject.toml
lint_in=$(mktemp --suffix .in)
trap 'rm -f "$lint_in"' EXIT
"$tools/bin/python" -c "
import tomllib
print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['lint']))" > "$lint_in"
cp requirements-dev.txt requirements-lint.txt
"${compile[@]}" --output-file requirements-lint.txt "$lint_in"
sed -i "s|$lint_in|pyproject.toml (the lint extra)|" requirements-lint.txt
# pip-compile warns that torch is not pinned; say instead where it comes from
for lock in requirements.txt requirements-dev.txt; do
    python3 - "$lock" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"\n# WARNING: The following packages were not pinned.*", "\n# torch: not hashed here; scripts/setup.sh installs"
              " torch==2.13.0 first (the CPU build unless TORCH_BUILD=cuda)\n", text, flags=re.S)
open(path, "w").write(text)
PY
done
echo "lock: requirements.txt, requirements-dev.txt and requirements-lint.txt compiled from pyproject.toml"
