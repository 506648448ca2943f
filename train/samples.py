#!/usr/bin/python3
"""Greedy completions of ten function-signature-and-docstring prompts written for this project.

For each prompt: BOS + prompt tokens, greedy decoding up to --max-new tokens, completion cut at
the first top-level `def`/`class`/`if __name__`/`print(` line (or end of text). Reports the share
of prompt + completion that parses with Python's `ast` (the model card's syntax bar) and writes
the completions as Markdown for the model card.

Usage: samples.py train/out/target.pt [--max-new 96] [--markdown train/out/samples-target.md]
"""
import argparse
import ast
import json
import os
import re
import sys
import time

# OpenMP threads that spin while waiting burn the CPU share of a busy 2-core machine: with
# spinning, training got ~107 tokens per CPU-second; with passive waiting ~715 (docs/training.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

import bpe
import model as model_mod
import vocab as vocab_mod

HERE = os.path.dirname(os.path.abspath(__file__))

# Written for this project (not taken from HumanEval or any benchmark).
PROMPTS = [
    'def count_vowels(text):\n    """Return the number of vowels (a, e, i, o, u) in text, ignoring case."""\n',
    'def clamp(value, low, high):\n    """Return value limited to the closed interval [low, high]."""\n',
    'def reverse_words(sentence):\n    """Return the sentence with the order of its words reversed."""\n',
    'def is_palindrome(s):\n    """Return True if s reads the same forwards and backwards."""\n',
    'def running_total(numbers):\n    """Return a list where element i is the sum of numbers[0..i]."""\n',
    'def merge_dicts(a, b):\n    """Return a new dict with the keys of a and b; values of b win."""\n',
    'def chunk(items, size):\n    """Split items into consecutive lists of at most size elements."""\n',
    'def most_common_char(text):\n    """Return the character that occurs most often in text."""\n',
    'def flatten(nested):\n    """Flatten a list of lists into a single list."""\n',
    'def read_lines(path):\n    """Read a text file and return its lines without trailing newlines."""\n',
]
STOP = re.compile(r"^(def |class |if __name__|print\()", re.M)


def cut(completion):
    m = STOP.search(completion)
    return completion[:m.start()] if m else completion


def main():
    ap = argparse.ArgumentParser(description="greedy sample completions")
    ap.add_argument("checkpoint")
    ap.add_argument("--vocab", default=os.path.join(HERE, "out", "vocab.json"))
    ap.add_argument("--max-new", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--markdown", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tokens, specials, _, ranks = vocab_mod.load_vocab(args.vocab)
    ids = {t: i for i, t in enumerate(tokens)}
    tok = bpe.Tokenizer(dict(zip(tokens, ranks)))
    bos = len(tokens) + specials.index("<|begin_of_text|>")
    end_ids = {len(tokens) + specials.index(s) for s in ("<|end_of_text|>", "<|eot_id|>", "<|begin_of_text|>")}
    m, state = model_mod.load_for_inference(args.checkpoint)
    results = []
    t0 = time.time()
    for prompt in PROMPTS:
        prompt_ids = [bos] + [ids[p] for p in tok.pieces(prompt)]
        caches = [dict() for _ in m.layers]
        out = []
        with torch.no_grad():
            logits = m(torch.tensor([prompt_ids]), caches, 0)
            pos = len(prompt_ids)
            for _ in range(args.max_new):
                nxt = int(logits[0, -1].argmax())
                if nxt in end_ids:
                    break
                out.append(nxt)
                text = b"".join(tokens[i] for i in out).decode("utf-8", errors="replace")
                if STOP.search(text):
                    break
                logits = m(torch.tensor([[nxt]]), caches, pos)
                pos += 1
        completion = cut(b"".join(tokens[i] for i in out).decode("utf-8", errors="replace"))
        try:
            ast.parse(prompt + completion)
            ok = True
        except SyntaxError:
            ok = False
        # A bare signature + docstring parses too, so also count completions that add a body.
        has_body = ok and any(line.strip() and not line.strip().startswith("#") for line in completion.splitlines())
        results.append({"prompt": prompt, "completion": completion, "parses": ok, "parses_with_body": has_body})
    share = sum(r["parses"] for r in results) / len(results)
    body_share = sum(r["parses_with_body"] for r in results) / len(results)
    summary = {"checkpoint": args.checkpoint, "step": state["meta"]["step"],
               "tokens_trained": state["meta"]["tokens"], "parse_share": share, "parse_with_body_share": body_share,
               "seconds": round(time.time() - t0, 1)}
    print(json.dumps(summary))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(f"Greedy completions, checkpoint step {summary['step']} "
                    f"({summary['tokens_trained']} tokens trained); parse share {share:.0%}, "
                    f"parses with a body {body_share:.0%}.\n\n")
            for i, r in enumerate(results, 1):
                f.write(f"{i}. parses: {'yes' if r['parses'] else 'no'}\n\n```python\n{r['prompt']}{r['completion']}\n```\n\n")
    else:
        for r in results:
            print(r["prompt"] + r["completion"] + "\n----")


if __name__ == "__main__":
    sys.exit(main())
