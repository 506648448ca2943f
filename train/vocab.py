#!/usr/bin/python3
"""Chooses the model vocabulary: a merge-closed subset of cl100k_base (= Llama 3 ids 0..99,999).

1. Tokenize the training split with full cl100k (rank-based BPE, Llama-3 pre-tokenizer).
2. Keep all 256 single-byte tokens, then the most frequent tokens, each together with its merge
   parents (the two pieces BPE of the token's own bytes merges last), recursively, so every kept
   token is reachable by BPE restricted to kept tokens.
3. Compact ids 0..V-1 in cl100k rank order, then the 5 Llama-3 special tokens.
4. Merges for GGUF: for every kept non-byte token t and every split of t into two kept tokens
   (a, b), the merge "a b", listed in ascending rank(t). Merge-priority BPE over this list is the
   same as rank-based BPE over the kept ranks.
5. Measures on the held-out split how often the subset tokenizer cuts a pre-token exactly like
   full cl100k.

Writes train/out/vocab.json and train/out/vocab-report.json.
"""
import argparse
import base64
import collections
import json
import os
import sys
import time

import bpe


def count_words(path, by_source=None):
    """Pre-token counts of a corpus split; by_source (a dict) also gets one Counter per source."""
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            words = bpe.PRETOKENIZE.findall(d["text"])
            counts.update(words)
            if by_source is not None:
                by_source.setdefault(d["source"], collections.Counter()).update(words)
    return counts


def select(ranks, token_freq, size):
    """All single bytes + most frequent tokens with their parent closure, `size` tokens in all."""
    kept = {t for t in ranks if len(t) == 1}
    assert len(kept) == 256, "cl100k must contain all 256 single bytes"
    parents_cache = {}

    def closure(t, acc):
        stack = [t]
        while stack:
            x = stack.pop()
            if x in kept or x in acc:
                continue
            p = parents_cache.get(x)
            if p is None:
                p = bpe.last_merge_parents(x, ranks)
                parents_cache[x] = p
            if p is None:
                return None  # unreachable by BPE: never produced, never kept
            acc.add(x)
            stack.extend(p)
        return acc

    for t, _ in sorted(token_freq.items(), key=lambda kv: (-kv[1], ranks[kv[0]])):
        if len(kept) >= size:
            break
        add = closure(t, set())
        if add is None or len(kept) + len(add) > size:
            continue
        kept |= add
    return kept


def agreement(words, full, subset_ranks):
    """Share of full-cl100k tokens that lie in pre-tokens the subset cuts identically."""
    sub = bpe.Tokenizer(subset_ranks)
    same_tokens = total_tokens = sub_tokens = same_words = total_words = 0
    for w, c in words.items():
        fp = full.word(w)
        sp = sub.word(w)
        total_tokens += c * len(fp)
        sub_tokens += c * len(sp)
        total_words += c
        if fp == sp:
            same_tokens += c * len(fp)
            same_words += c
    return {"token_agreement": same_tokens / total_tokens,
            "pretoken_agreement": same_words / total_words,
            "full_cl100k_tokens": total_tokens, "subset_tokens": sub_tokens,
            "subset_over_full": sub_tokens / total_tokens}


def merges_for(kept, ranks):
    out = []
    for t in sorted(kept, key=lambda x: ranks[x]):
        if len(t) < 2:
            continue
        for i in range(1, len(t)):
            a, b = t[:i], t[i:]
            if a in kept and b in kept:
                out.append(bpe.gpt2_string(a) + " " + bpe.gpt2_string(b))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="choose the cl100k subset vocabulary")
    ap.add_argument("--corpus", default=os.path.join(here, "data", "corpus"))
    ap.add_argument("--out", default=os.path.join(here, "out"))
    ap.add_argument("--size", type=int, default=12032,
                    help="total vocabulary size including the 5 special tokens")
    ap.add_argument("--also-measure", default="8192,16384",
                    help="other sizes whose held-out agreement is reported for comparison")
    args = ap.parse_args()
    t0 = time.time()
    ranks = bpe.load_cl100k()
    train_words = count_words(os.path.join(args.corpus, "train.jsonl"))
    held_by_source = {}
    held_words = count_words(os.path.join(args.corpus, "heldout.jsonl"), held_by_source)
    full = bpe.Tokenizer(ranks)
    token_freq = collections.Counter()
    for w, c in train_words.items():
        for p in full.word(w):
            token_freq[p] += c
    print(f"vocab: {len(train_words)} distinct train pre-tokens, {len(token_freq)} distinct "
          f"cl100k tokens, {time.time() - t0:.0f}s", file=sys.stderr)

    report = {"sizes": {}}
    sizes = [args.size] + [int(s) for s in args.also_measure.split(",") if s]
    chosen = None
    for size in sizes:
        kept = select(ranks, token_freq, size - len(bpe.SPECIALS))
        sub_ranks = {t: ranks[t] for t in kept}
        report["sizes"][str(size)] = {"heldout": agreement(held_words, full, sub_ranks),
                                      "train": agreement(train_words, full, sub_ranks)}
        print(f"vocab: size {size}: {json.dumps(report['sizes'][str(size)])}", file=sys.stderr)
        if size == args.size:
            chosen = kept
            report["chosen_size_heldout_by_source"] = {
                s: agreement(c, full, sub_ranks) for s, c in sorted(held_by_source.items())}
    ordered = sorted(chosen, key=lambda t: ranks[t])
    merges = merges_for(chosen, ranks)
    vocab = {
        "description": "cl100k_base subset; id = position; cl100k rank given for each",
        "tokens_b64": [base64.b64encode(t).decode("ascii") for t in ordered],
        "cl100k_ranks": [ranks[t] for t in ordered],
        "specials": bpe.SPECIALS,
        "merges": merges,
    }
    os.makedirs(args.out, exist_ok=True)
    for name, obj in (("vocab.json", vocab), ("vocab-report.json", report)):
        tmp = os.path.join(args.out, name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=None if name == "vocab.json" else 2)
        os.replace(tmp, os.path.join(args.out, name))
    print(f"vocab: {len(ordered)} + {len(bpe.SPECIALS)} tokens, {len(merges)} merges, "
          f"{time.time() - t0:.0f}s", file=sys.stderr)


def load_vocab(path):
    """(list of token bytes in id order, specials, merges) from vocab.json."""
    with open(path) as f:
        v = json.load(f)
    return [base64.b64decode(t) for t in v["tokens_b64"]], v["specials"], v["merges"], v["cl100k_ranks"]


if __name__ == "__main__":
    main()
