#!/usr/bin/python3
"""Builds the training corpus from code installed on this machine (train/build.sh installs it).

Sources, in priority order (the first copy of a file's content wins, later identical copies
are dropped by SHA-1 of the bytes; a pyenv stdlib module whose relative path Debian's stdlib
already provided is dropped as a near-duplicate):
  1. Debian's CPython standard library  /usr/lib/python3.11
  2. pyenv's CPython 3.11 standard library (mostly the same files; dedup removes them)
  3. Python packages Debian installed    /usr/lib/python3/dist-packages: every top-level package
     (the Debian packages of DEBIAN_PACKAGES and what they pull in), at most PACKAGE_BUDGET bytes
     each, sampled in SHA-1-of-path order, so no single library dominates
  4. Java from the JDK's lib/src.zip     (the JAVA_MODULES, at most JAVA_SHARE of all bytes)

Excluded everywhere: files that are not UTF-8, files above MAX_FILE_BYTES, generated code-page
tables (encodings/cp*.py, mac_*.py ...) and files that look generated (data tables: long lines
or mostly digits). Test files (test directories, test_*.py, *_test.py, conftest.py) are kept
APART: they go to tests.jsonl, are deduplicated like the rest, and are never trained on.

Held-out split: a file is held out when crc32(relative path) % 20 == 0. The relative path is the
path inside its source (e.g. "json/decoder.py", "numpy/linalg/linalg.py"), so the split does not
depend on where the installation lives and a file held out before is still held out.

Function samples: every Python function or method of a train (held-out) file that has a docstring
and 1..MAX_FUNC_BODY_LINES lines after it becomes one more document in functions-train.jsonl
(functions-heldout.jsonl): the module's imports that the function uses, then the function,
dedented to column 0. The trainer mixes them in at a chosen weight; they teach what a function
body looks like and where it ends.

Output (all git-ignored): train/data/corpus/{train,heldout,tests,functions-train,functions-heldout}.jsonl
with one {"path", "source", "text"} object per line, and train/out/corpus-manifest.json with
counts, sources and the Debian packages (version, licences) that provided the files.
"""
import argparse
import ast
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
import zlib

MAX_FILE_BYTES = 256 * 1024
# Debian packages whose Python code forms most of the corpus (train/build.sh installs them).
DEBIAN_PACKAGES = [
    "python3-numpy", "python3-scipy", "python3-sympy", "python3-django", "python3-networkx",
    "python3-pandas", "python3-matplotlib", "python3-sklearn", "python3-sqlalchemy",
    "python3-flask", "python3-werkzeug", "python3-jinja2", "python3-requests", "python3-twisted",
    "python3-docutils", "python3-sphinx", "python3-astropy", "python3-nltk", "python3-pytest",
    "python3-hypothesis", "python3-click", "python3-tornado", "python3-aiohttp",
    "python3-setuptools", "python3-astroid", "python3-dask", "python3-statsmodels",
    "python3-skimage", "python3-bs4", "python3-jedi", "python3-parso", "python3-attr",
    "python3-sqlparse", "python3-pyparsing", "python3-babel", "python3-toolz", "python3-pexpect",
    "python3-paramiko", "python3-seaborn", "python3-xarray", "python3-mako", "python3-celery",
    "python3-kombu", "python3-scrapy", "python3-openpyxl", "python3-dateutil", "python3-ply",
    "python3-pycparser",
]
# Per top-level package: large libraries (sympy, scipy, pandas) would otherwise be a third of
# the corpus; 4 MiB keeps the variety of the long tail.
PACKAGE_BUDGET = 4 * 1024 * 1024
# torch/torchgen: the trainer's own dependency, much of it generated; pip: vendored copies of
# other packages.
DIST_EXCLUDE_TOP = {"torch", "torchgen", "pip", "__pycache__", "site-packages"}
JAVA_SHARE = 0.15
JAVA_MODULES = ("java.base", "java.sql", "java.net.http", "java.logging", "java.xml",
                "java.management", "java.naming", "java.desktop", "jdk.compiler")
MAX_FUNC_BODY_LINES = 60

TEST_DIRS = {"test", "tests", "testing", "idle_test", "unittests", "test_data", "testdata"}
GENERATED_NAMES = re.compile(r"^(cp\d+|mac_\w+|iso8859_\d+|koi8_\w+|ptcp154|hp_roman8|"
                             r"kz1048|tis_620|palmos|latin_1)\.py$")
LICENSE_HEADER = re.compile(r"\A\s*/\*.*?Copyright.*?\*/\s*", re.S)


def heldout(relpath):
    return zlib.crc32(relpath.encode("utf-8")) % 20 == 0


def is_test_path(parts):
    name = parts[-1]
    return any(p in TEST_DIRS or p.startswith("test_") for p in parts[:-1]) or \
        name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def looks_generated(text):
    """Data tables rather than code: very long lines on average, or mostly digits."""
    lines = text.count("\n") + 1
    if len(text) / lines > 100:
        return True
    digits = sum(c.isdigit() for c in text)
    return digits > 0.3 * len(text)


def walk_python(root, skip_top=()):
    """(relpath, path) for .py files under root, sorted for determinism."""
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
            if "encodings" in parts_dir and GENERATED_NAMES.match(name):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            out.append(("/".join(parts_dir + [name]), path))
    return out


def debian_owners(dist_root):
    """{top-level name under dist_root: Debian package} from dpkg's file lists."""
    owners = {}
    info = "/var/lib/dpkg/info"
    if not os.path.isdir(info):
        return owners
    prefix = dist_root.rstrip("/") + "/"
    for f in sorted(os.listdir(info)):
        if not f.endswith(".list"):
            continue
        pkg = f[:-5].split(":")[0]
        with open(os.path.join(info, f), errors="replace") as fh:
            for line in fh:
                if line.startswith(prefix):
                    top = line[len(prefix):].strip().split("/")[0]
                    if top and not top.endswith((".dist-info", ".egg-info")):
                        owners.setdefault(top, pkg)
    return owners


def debian_package_info(pkgs):
    """{package: {"version", "licenses"}} from dpkg-query and /usr/share/doc/PKG/copyright."""
    out = {}
    for p in sorted(pkgs):
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                               text=True).stdout.strip()
        except OSError:
            v = ""
        lic = []
        try:
            with open(f"/usr/share/doc/{p}/copyright", errors="replace") as f:
                for line in f:
                    if line.startswith("License:"):
                        name = line[len("License:"):].strip()
                        if name and name not in lic:
                            lic.append(name)
        except OSError:
            pass
        out[p] = {"version": v, "licenses": lic}
    return out


def function_samples(text):
    """(qualified name, sample text) for every documented function or method of a module."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    lines = text.splitlines(keepends=True)
    imports = []  # (names bound, source line)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.end_lineno == node.lineno:
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
            imports.append((names, lines[node.lineno - 1]))
    out = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False)
                if not doc or len(node.body) < 2:
                    continue
                after_doc = node.end_lineno - node.body[0].end_lineno
                if not 1 <= after_doc <= MAX_FUNC_BODY_LINES:
                    continue
                src = textwrap.dedent("".join(lines[node.lineno - 1:node.end_lineno]))
                if not src.startswith(("def ", "async def ")):
                    continue  # continuation lines that dedent cannot align
                words = set(re.findall(r"[A-Za-z_]\w*", src))
                used = [line for names, line in imports if any(n in words for n in names)]
                head = "".join(used) + ("\n\n" if used else "")
                out.append((prefix + node.name, head + src.rstrip() + "\n"))
    visit(tree.body, "")
    return out


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
    docs = {"train": [], "heldout": [], "tests": []}
    per_package = collections.Counter()

    def stat(source):
        return stats.setdefault(source, {"files": 0, "bytes": 0, "duplicates": 0, "skipped": 0,
                                         "generated": 0, "tests": 0})

    def add(source, rel, data, test=False):
        st = stat(source)
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
        if looks_generated(text):
            st["generated"] += 1
            return 0
        if test:
            docs["tests"].append({"path": rel, "source": source, "text": text})
            st["tests"] += 1
            return 0
        split = "heldout" if heldout(rel) else "train"
        docs[split].append({"path": rel, "source": source, "text": text})
        st["files"] += 1
        st["bytes"] += len(text.encode("utf-8"))
        return len(data)

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    sources = []
    stdlib_paths = set()
    for source, root in (("cpython-3.11-debian", args.stdlib), ("cpython-3.11-pyenv", args.pyenv_stdlib)):
        if os.path.isdir(root):
            sources.append({"name": source, "path": root})
            for rel, path in walk_python(root):
                # pyenv's copy is the same library with small differences (Debian patches):
                # a module already taken from the first installation is a near-duplicate.
                if rel in stdlib_paths:
                    stat(source)["duplicates"] += 1
                    continue
                stdlib_paths.add(rel)
                add(source, rel, read(path), is_test_path(rel.split("/")))
        else:
            print(f"corpus: {root} not found, skipped", file=sys.stderr)

    packages = {}
    if os.path.isdir(args.dist_packages):
        owners = debian_owners(args.dist_packages)
        files = walk_python(args.dist_packages, skip_top=DIST_EXCLUDE_TOP)
        # Deterministic pseudo-random order so each package's budget samples all of it.
        files.sort(key=lambda rf: hashlib.sha1(rf[0].encode()).hexdigest())
        for rel, path in files:
            top = rel.split("/")[0]
            test = is_test_path(rel.split("/"))
            if not test and per_package[top] >= PACKAGE_BUDGET:
                continue
            n = add("debian-dist-packages", rel, read(path), test)
            per_package[top] += n
        used = {}
        for top, n in sorted(per_package.items()):
            if n:
                used.setdefault(owners.get(top, "(not from a Debian package)"), {})[top] = n
        info = debian_package_info(p for p in used if not p.startswith("("))
        for p, tops in sorted(used.items()):
            packages[p] = dict(info.get(p, {}), modules=tops, bytes=sum(tops.values()))
        sources.append({"name": "debian-dist-packages", "path": args.dist_packages,
                        "installed_with": DEBIAN_PACKAGES, "budget_bytes_per_top_level_package": PACKAGE_BUDGET,
                        "excluded_top": sorted(DIST_EXCLUDE_TOP - {"__pycache__", "site-packages"})})

    python_bytes = sum(s["bytes"] for s in stats.values())
    if os.path.isfile(args.src_zip):
        budget = int(python_bytes * JAVA_SHARE / (1 - JAVA_SHARE))
        sources.append({"name": "jdk-src.zip", "path": args.src_zip, "budget_bytes": budget,
                        "modules": list(JAVA_MODULES), "note": "leading Copyright block comment removed"})
        with zipfile.ZipFile(args.src_zip) as z:
            names = [n for n in z.namelist() if n.endswith(".java") and n.split("/")[0] in JAVA_MODULES]
            names.sort(key=lambda n: hashlib.sha1(n.encode()).hexdigest())
            used = 0
            for n in names:
                test = "/test/" in n or n.endswith("Test.java")
                if not test and used >= budget:
                    continue
                used += add("jdk-src.zip", n, z.read(n), test)

    funcs = {"functions-train": [], "functions-heldout": []}
    for split in ("train", "heldout"):
        for d in docs[split]:
            if d["path"].endswith(".py"):
                for qual, text in function_samples(d["text"]):
                    funcs["functions-" + split].append({"path": d["path"] + "::" + qual,
                                                        "source": d["source"], "text": text})
    docs.update(funcs)

    manifest = {"sources": sources, "split_rule": "heldout iff crc32(relative path) % 20 == 0",
                "tests": "test files are kept apart in tests.jsonl and never trained on",
                "functions": "documented functions and methods of the train (held-out) files, "
                             "with the imports they use, dedented; mixed into training by train.py --mix",
                "debian_packages": packages, "per_source": stats, "splits": {}}
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
    print(json.dumps({k: {"files": v["files"], "bytes": v["bytes"]} for k, v in manifest["splits"].items()}))


if __name__ == "__main__":
    main()
