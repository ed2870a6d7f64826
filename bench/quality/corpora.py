"""The quality benchmark's corpora, rebuilt on this machine from sources anyone can get (none is kept in git).

* news: the bundled corpus (five scraped articles, with site furniture);
* git: git's manual, the AsciiDoc sources in Debian's `git-doc` package (~290 pages);
* licenses: the license texts Debian ships in /usr/share/common-licenses (legal/policy text, much shared wording);
* cacm: the CACM test collection (3,204 abstracts, topics and relevance judgments) from ../shared/data/cacm.tgz.

Two more are outside checks, never used to develop or tune anything, only run to report:

* pydocs: Python 3.11's documentation, the reST sources (`_sources/*.rst.txt`) in Debian's `python3.11-doc`;
* policy: the Debian Policy Manual as plain text (`policy.txt`) from Debian's `debian-policy`.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "quality" / "data"
CACM_ARCHIVE = ROOT.parent / "shared" / "data" / "cacm.tgz"
GIT_DOC_PACKAGE = "git-doc=1:2.39.5-0+deb12u3"
PYTHON_DOC_PACKAGE = "python3.11-doc=3.11.2-6+deb12u9"
POLICY_PACKAGE = "debian-policy=4.6.2.0"
LICENSES = (
    "Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.2 GFDL-1.3 GPL-1 GPL-2 GPL-3 LGPL-2 LGPL-2.1 LGPL-3 MPL-1.1 MPL-2.0"
).split()
CORPORA = ("news", "git", "licenses", "cacm", "pydocs", "policy")


class CorpusUnavailable(Exception):
    """A corpus cannot be rebuilt on this machine: one line saying what is missing."""


def corpus_dir(name: str) -> Path:
    """The corpus directory, built on first use."""
    if name == "news":
        return ROOT / "corpus"
    home = DATA / name
    if not (home / "docs").is_dir():
        builders = {
            "git": _build_git,
            "licenses": _build_licenses,
            "cacm": _build_cacm,
            "pydocs": _build_pydocs,
            "policy": _build_policy,
        }
        staging = Path(tempfile.mkdtemp(dir=_make(DATA)))
        try:
            builders[name](_make(staging / "docs"))
            staging.rename(home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return home / "docs"


def cacm_dir() -> Path:
    """Where the CACM topics and judgments are (beside its docs)."""
    corpus_dir("cacm")
    return DATA / "cacm"


def _make(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unpacked(package: str, work: Path) -> Path:
    """Download a Debian package with apt-get and unpack it under `work`; the unpacked root."""
    try:
        subprocess.run(["apt-get", "download", package], cwd=work, check=True, capture_output=True, timeout=600)
        deb = next(work.glob(f"{package.split('=')[0]}_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), "x"], cwd=work, check=True, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError, StopIteration) as error:
        raise CorpusUnavailable(f"cannot get {package} with apt-get download ({error})") from None
    return work / "x"


def _copy_tree(source: Path, pattern: str, target: Path) -> None:
    for path in sorted(source.rglob(pattern)):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def _build_git(target: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        _copy_tree(_unpacked(GIT_DOC_PACKAGE, Path(work)) / "usr/share/doc/git-doc", "*.txt", target)


def _build_pydocs(target: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        sources = _unpacked(PYTHON_DOC_PACKAGE, Path(work)) / "usr/share/doc/python3.11/html/_sources"
        _copy_tree(sources, "*.txt", target)


def _build_policy(target: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        packed = _unpacked(POLICY_PACKAGE, Path(work)) / "usr/share/doc/debian-policy/policy.txt.gz"
        (target / "policy.txt").write_bytes(gzip.decompress(packed.read_bytes()))


def _build_licenses(target: Path) -> None:
    source = Path("/usr/share/common-licenses")
    for name in LICENSES:
        if not (source / name).is_file():
            raise CorpusUnavailable(f"licenses: {source / name} is missing (Debian's base-files ships it)")
        shutil.copyfile(source / name, target / f"{name}.txt")


def _build_cacm(target: Path) -> None:
    if not CACM_ARCHIVE.is_file():
        raise CorpusUnavailable(f"cacm: {CACM_ARCHIVE} is missing")
    with tempfile.TemporaryDirectory() as work, tarfile.open(CACM_ARCHIVE) as archive:
        archive.extractall(work, filter="data")
        found = Path(work) / "cacm"
        for path in sorted((found / "docs").glob("*.txt")):
            shutil.copyfile(path, target / path.name)
        for name in ("topics.jsonl", "qrels.txt"):
            shutil.copyfile(found / name, target.parent / name)
