#!/usr/bin/python3
"""Builds the training corpus from code that is already on this machine.

Sources, in priority order (the first copy of a file's content wins, later identical copies
are dropped by SHA-1 of the bytes; a pyenv stdlib module whose relative path Debian's stdlib
already provided is dropped as a near-duplicate):
  1. Debian's CPython standard library  /usr/lib/python3.11
  2. pyenv's CPython 3.11 standard library (mostly the same files; dedup removes them)
  3. Python packages Debian installed    /usr/lib/python3/dist-packages (a byte budget, see below)
  4. Java from the JDK's lib/src.zip     (java.base core packages, a byte budget, see below)

Excluded everywhere: test directories, generated code-page tables (encodings/cp*.py, mac_*.py ...),
files that are not UTF-8, and files above MAX_FILE_BYTES (generated data tables, not code).

Held-out split: a file is held out when crc32(relative path) % 20 == 0. The relative path
is the path inside its source (e.g. "json/decoder.py"), so the split does not depend on
where the installation lives.

Output (all git-ignored): train/data/corpus/{train,heldout}.jsonl with one {"path", "source",
"text"} object per line, and train/out/corpus-manifest.json with counts and sources.
"""
import argparse
import hashlib
import json
import os
import re
import sys
import zlib
import zipfile

MAX_FILE_BYTES = 256 * 1024
# Byte budget for third-party Python: enough variety beyond the stdlib without making one
# training pass impossible on a 2-core CPU.
DIST_PACKAGES_BUDGET = 6 * 1024 * 1024
# Java at most ~1/5 of all bytes, i.e. comfortably under the "at most a quarter" rule.
JAVA_SHARE = 0.20
JAVA_PACKAGES = ("java/lang/", "java/util/", "java/io/", "java/nio/", "java/time/",
                 "java/net/", "java/text/", "java/math/")

TEST_DIRS = {"test", "tests", "testing", "idle_test", "unittests", "test_data", "testdata"}
GENERATED_NAMES = re.compile(r"^(cp\d+|mac_\w+|iso8859_\d+|koi8_\w+|ptcp154|hp_roman8|"
                             r"kz1048|tis_620|palmos|latin_1)\.py$")
DIST_EXCLUDE_TOP = {"torch", "torchgen", "sympy", "numpy", "pip", "mpmath"}  # huge; keep variety
LICENSE_HEADER = re.compile(r"\A\s*/\*.*?Copyright.*?\*/\s*", re.S)


def heldout(relpath):
    return zlib.crc32(relpath.encode("utf-8")) % 20 == 0


def is_test_path(parts):
    return any(p in TEST_DIRS or p.startswith("test_") for p in parts[:-1]) or \
        parts[-1].startswith("test_")


def walk_python(root, source, skip_top=()):
    """Yields (relpath, bytes) for .py files under root, sorted for determinism."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        parts_dir = [] if rel_dir == "." else rel_dir.split(os.sep)
        if parts_dir and (parts_dir[0] in skip_top or parts_dir[0] in ("site-packages", "__pycache__")):
            dirnames[:] = []
            continue
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            parts = parts_dir + [name]
            if is_test_path(parts):
                continue
            if "encodings" in parts_dir and GENERATED_NAMES.match(name):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            out.append(("/".join(parts), path))
    for rel, path in out:
        with open(path, "rb") as f:
            yield rel, f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out-dir", default=os.path.join(here, "data", "corpus"))
    ap.add_argument("--manifest", default=os.path.join(here, "out", "corpus-manifest.json"))
    ap.add_argument("--stdlib", default="/usr/lib/python3.11")
    ap.add_argument("--pyenv-stdlib", default="/root/.pyenv/versions/3.11.7/lib/python3.11")
    ap.add_argument("--dist-packages", default="/usr/lib/python3/dist-packages")
    ap.add_argument("--src-zip", default="/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(os.path.dirname(args.manifest), exist_ok=True)

    seen = set()
    stats = {}
    docs = {"train": [], "heldout": []}

    def add(source, rel, data):
        st = stats.setdefault(source, {"files": 0, "bytes": 0, "duplicates": 0, "skipped": 0})
        if len(data) > MAX_FILE_BYTES or len(data) == 0:
            st["skipped"] += 1
            return 0
        digest = hashlib.sha1(data).digest()
        if digest in seen:
            st["duplicates"] += 1
            return 0
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            st["skipped"] += 1
            return 0
        seen.add(digest)
        if source == "jdk-src.zip":
            text = LICENSE_HEADER.sub("", text, count=1)
        text = text.replace("\r\n", "\n")
        split = "heldout" if heldout(rel) else "train"
        docs[split].append({"path": rel, "source": source, "text": text})
        st["files"] += 1
        st["bytes"] += len(text.encode("utf-8"))
        return len(data)

    sources = []
    stdlib_paths = set()
    for source, root in (("cpython-3.11-debian", args.stdlib), ("cpython-3.11-pyenv", args.pyenv_stdlib)):
        if os.path.isdir(root):
            sources.append({"name": source, "path": root})
            for rel, data in walk_python(root, source):
                # pyenv's copy is the same library with small differences (Debian patches):
                # a module already taken from the first installation is a near-duplicate.
                if rel in stdlib_paths:
                    stats.setdefault(source, {"files": 0, "bytes": 0, "duplicates": 0, "skipped": 0})
                    stats[source]["duplicates"] += 1
                    continue
                stdlib_paths.add(rel)
                add(source, rel, data)
        else:
            print(f"corpus: {root} not found, skipped", file=sys.stderr)

    if os.path.isdir(args.dist_packages):
        sources.append({"name": "debian-dist-packages", "path": args.dist_packages,
                        "budget_bytes": DIST_PACKAGES_BUDGET, "excluded_top": sorted(DIST_EXCLUDE_TOP)})
        files = list(walk_python(args.dist_packages, "dist", skip_top=DIST_EXCLUDE_TOP))
        # Deterministic pseudo-random order so the budget samples across all packages.
        files.sort(key=lambda rf: hashlib.sha1(rf[0].encode()).hexdigest())
        used = 0
        for rel, data in files:
            if used >= DIST_PACKAGES_BUDGET:
                break
            used += add("debian-dist-packages", rel, data)

    python_bytes = sum(s["bytes"] for s in stats.values())
    if os.path.isfile(args.src_zip):
        budget = int(python_bytes * JAVA_SHARE / (1 - JAVA_SHARE))
        sources.append({"name": "jdk-src.zip", "path": args.src_zip, "budget_bytes": budget,
                        "packages": ["java.base/" + p for p in JAVA_PACKAGES],
                        "note": "leading Copyright block comment removed"})
        with zipfile.ZipFile(args.src_zip) as z:
            names = [n for n in z.namelist() if n.endswith(".java") and n.startswith("java.base/")
                     and n[len("java.base/"):].startswith(JAVA_PACKAGES)]
            names.sort(key=lambda n: hashlib.sha1(n.encode()).hexdigest())
            used = 0
            for n in names:
                if used >= budget:
                    break
                used += add("jdk-src.zip", n, z.read(n))

    manifest = {"sources": sources, "split_rule": "heldout iff crc32(relative path) % 20 == 0",
                "per_source": stats, "splits": {}}
    for split, items in docs.items():
        path = os.path.join(args.out_dir, split + ".jsonl")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for d in items:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
        per = {}
        for d in items:
            p = per.setdefault(d["source"], {"files": 0, "bytes": 0})
            p["files"] += 1
            p["bytes"] += len(d["text"].encode("utf-8"))
        manifest["splits"][split] = {"files": len(items),
                                     "bytes": sum(p["bytes"] for p in per.values()),
                                     "per_source": per}
    tmp = args.manifest + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
    os.replace(tmp, args.manifest)
    print(json.dumps(manifest["splits"], indent=1))


if __name__ == "__main__":
    main()
