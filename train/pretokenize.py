#!/usr/bin/python3
"""Tokenizes the corpus once with the subset tokenizer into uint16 token files.

Each document becomes <|begin_of_text|> followed by its tokens (the runtime adds BOS the same
way). Writes train/data/{train,heldout}.bin (uint16, native little-endian) and adds token counts
per split and per source to train/out/corpus-manifest.json.
"""
import argparse
import json
import os

import numpy as np

import bpe
import vocab as vocab_mod


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="tokenize the corpus to uint16 files")
    ap.add_argument("--corpus", default=os.path.join(here, "data", "corpus"))
    ap.add_argument("--vocab", default=os.path.join(here, "out", "vocab.json"))
    ap.add_argument("--manifest", default=os.path.join(here, "out", "corpus-manifest.json"))
    ap.add_argument("--data", default=os.path.join(here, "data"))
    args = ap.parse_args()
    tokens, specials, _, _ = vocab_mod.load_vocab(args.vocab)
    ids = {t: i for i, t in enumerate(tokens)}
    bos = len(tokens) + specials.index("<|begin_of_text|>")
    assert len(tokens) + len(specials) < 65536
    tok = bpe.Tokenizer({t: r for t, r in zip(tokens, vocab_mod.load_vocab(args.vocab)[3])})
    with open(args.manifest) as f:
        manifest = json.load(f)
    for split in ("train", "heldout"):
        out = []
        per_source = {}
        with open(os.path.join(args.corpus, split + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                doc = [bos] + [ids[p] for p in tok.pieces(d["text"])]
                out.extend(doc)
                per_source[d["source"]] = per_source.get(d["source"], 0) + len(doc)
        arr = np.asarray(out, dtype=np.uint16)
        path = os.path.join(args.data, split + ".bin")
        arr.tofile(path + ".tmp")
        os.replace(path + ".tmp", path)
        manifest["splits"][split]["tokens"] = int(arr.size)
        for s, n in per_source.items():
            manifest["splits"][split]["per_source"][s]["tokens"] = n
        print(f"pretokenize: {split}: {arr.size} tokens -> {path}")
    total = sum(manifest["splits"][s]["tokens"] for s in ("train", "heldout"))
    java = sum(manifest["splits"][s]["per_source"].get("jdk-src.zip", {}).get("tokens", 0)
               for s in ("train", "heldout"))
    manifest["non_python_token_share"] = java / total
    with open(args.manifest + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2)
    os.replace(args.manifest + ".tmp", args.manifest)
    print(f"pretokenize: non-Python token share {java / total:.3f}")


if __name__ == "__main__":
    main()
