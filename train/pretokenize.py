#!/usr/bin/python3
"""Tokenizes the corpus once with the subset tokenizer into uint16 token files.

Each document becomes <|begin_of_text|>, its tokens, <|end_of_text|> (the runtime adds BOS the same
way and stops at EOS, so a model that has seen where documents end can end a completion itself).
Writes train/data/{train,heldout,functions-train,functions-heldout}.bin (uint16, little-endian) and
heldout-cpython.bin (the held-out files of the CPython sources only: the same 37 files whatever
third-party packages are installed, so figures stay comparable across corpus versions), and adds
token counts per split and per source to train/out/corpus-manifest.json. tests.jsonl is not
tokenized: it is never trained on.
"""
import argparse
import json
import os

import numpy as np

import bpe
import vocab as vocab_mod

SPLITS = ("train", "heldout", "functions-train", "functions-heldout")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="tokenize the corpus to uint16 files")
    ap.add_argument("--corpus", default=os.path.join(here, "data", "corpus"))
    ap.add_argument("--vocab", default=os.path.join(here, "out", "vocab.json"))
    ap.add_argument("--manifest", default=os.path.join(here, "out", "corpus-manifest.json"))
    ap.add_argument("--data", default=os.path.join(here, "data"))
    args = ap.parse_args()
    tokens, specials, _, ranks = vocab_mod.load_vocab(args.vocab)
    ids = {t: i for i, t in enumerate(tokens)}
    bos = len(tokens) + specials.index("<|begin_of_text|>")
    eos = len(tokens) + specials.index("<|end_of_text|>")
    assert len(tokens) + len(specials) < 65536
    tok = bpe.Tokenizer(dict(zip(tokens, ranks)))
    with open(args.manifest) as f:
        manifest = json.load(f)

    def write(arr, name):
        path = os.path.join(args.data, name + ".bin")
        arr.tofile(path + ".tmp")
        os.replace(path + ".tmp", path)
        print(f"pretokenize: {name}: {arr.size} tokens -> {path}")

    for split in SPLITS:
        out, cpython = [], []
        per_source = {}
        with open(os.path.join(args.corpus, split + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                doc = [bos] + [ids[p] for p in tok.pieces(d["text"])] + [eos]
                out.extend(doc)
                if d["source"].startswith("cpython-"):
                    cpython.extend(doc)
                per_source[d["source"]] = per_source.get(d["source"], 0) + len(doc)
        arr = np.asarray(out, dtype=np.uint16)
        write(arr, split)
        if split == "heldout":
            write(np.asarray(cpython, dtype=np.uint16), "heldout-cpython")
            manifest["splits"][split]["tokens_cpython_only"] = len(cpython)
        manifest["splits"][split]["tokens"] = int(arr.size)
        for s, n in per_source.items():
            manifest["splits"][split]["per_source"][s]["tokens"] = n
    total = sum(manifest["splits"][s]["tokens"] for s in ("train", "heldout"))
    java = sum(manifest["splits"][s]["per_source"].get("jdk-src.zip", {}).get("tokens", 0)
               for s in ("train", "heldout"))
    manifest["non_python_token_share"] = java / total
    manifest["tokens_note"] = "one <|begin_of_text|> and one <|end_of_text|> per document included"
    with open(args.manifest + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2)
    os.replace(args.manifest + ".tmp", args.manifest)
    print(f"pretokenize: non-Python token share {java / total:.3f}")


if __name__ == "__main__":
    main()
