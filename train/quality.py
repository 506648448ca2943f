#!/usr/bin/python3
"""Generation quality of a model on prompts it was never trained on, and its held-out loss/top-1.

Prompts: the model card's ten (samples.py) and the thirty HumanEval-style prompts of
prompts/humaneval-style.jsonl (written for this project; none of them is in the corpus). Each is
completed greedily for up to --max-new tokens with nothing but the model's own end tokens to stop
it. Per completion:

  loop       the last 60 tokens repeat with a period of at most 30 tokens (t[i] == t[i - p] for
             every one of them), i.e. the model is copying itself
  stops      the model ended the completion itself (an end token) within --max-new tokens
  function_end  the completion contains a HumanEval stop string ("\\ndef", "\\nclass", "\\nif",
             "\\nprint", "\\n#"): the function was finished and something else began
  parses     prompt + completion cut at the first HumanEval stop string parses with Python's ast and
             adds at least one statement to the prompt (a bare signature with a docstring parses too)

Backends: --gguf FILE runs rsd's Java engine (`rsd generate --mode standard`, one process per
prompt), --ckpt FILE a train.py checkpoint in PyTorch (for checkpoints not exported yet; greedy
choices may differ from the engine's Q8_0 ones at near-ties). With --gguf, --heldout also runs
`rsd perplexity --window 1024` over held-out files: `cpython` (the 37 held-out files of the CPython
standard library, the same files in every corpus version so far), `sample` (the held-out files whose
SHA-1 of source/path starts with 0 or 1: 1/8 of them, every source) and `all` (every held-out file
of the corpus; slow: ~2 M tokens).

Usage: quality.py --gguf models/rsd-code.gguf [--heldout cpython,all] [--json out.json]
"""
import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HUMANEVAL_STOPS = ["\ndef", "\nclass", "\nif", "\nprint", "\n#"]
LOOP_TAIL, LOOP_MAX_PERIOD = 60, 30


def ends_in_loop(ids):
    n = len(ids)
    for p in range(1, LOOP_MAX_PERIOD + 1):
        if n < LOOP_TAIL + p:
            break
        if all(ids[i] == ids[i - p] for i in range(n - LOOP_TAIL, n)):
            return True
    return False


def cut_at_stop(text):
    cut = len(text)
    for s in HUMANEVAL_STOPS:
        i = text.find(s)
        if i >= 0:
            cut = min(cut, i)
    return text[:cut], cut < len(text)


def parses_with_body(prompt, completion):
    try:
        full = ast.parse(prompt + completion)
    except (SyntaxError, ValueError):
        return False
    try:
        bare = ast.parse(prompt + "    pass\n")
    except SyntaxError:
        bare = None
    body_of = lambda tree: [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    # A completion that only closes the prompt adds no statement beyond the bare "pass".
    return bare is None or len(body_of(full)) >= len(body_of(bare))


def prompts():
    sys.path.insert(0, HERE)
    import samples
    out = [{"task_id": f"model-card/{i:02d}", "prompt": p} for i, p in enumerate(samples.PROMPTS)]
    with open(os.path.join(HERE, "prompts", "humaneval-style.jsonl")) as f:
        out += [json.loads(line) for line in f if line.strip()]
    return out


def java_generate(gguf, prompt, max_new, threads):
    r = subprocess.run([os.path.join(ROOT, "rsd"), "generate", "--model", gguf, "--mode", "standard",
                        "--max-tokens", str(max_new), "--threads", str(threads), "--json", "--prompt", prompt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rsd generate failed: {r.stderr.strip()[-500:]}")
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return d["text"], d["token_ids"], d["stop_reason"] != "length"


class TorchGenerator:
    def __init__(self, ckpt, threads):
        import torch
        import bpe
        import model as model_mod
        import vocab as vocab_mod
        torch.set_num_threads(threads)
        self.torch = torch
        tokens, specials, _, ranks = vocab_mod.load_vocab(os.path.join(HERE, "out", "vocab.json"))
        self.tokens = tokens
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.tok = bpe.Tokenizer(dict(zip(tokens, ranks)))
        self.bos = len(tokens) + specials.index("<|begin_of_text|>")
        self.ends = {len(tokens) + specials.index(s) for s in ("<|end_of_text|>", "<|eot_id|>")}
        self.m, _ = model_mod.load_for_inference(ckpt)

    def __call__(self, prompt, max_new):
        torch = self.torch
        x = [self.bos] + [self.ids[p] for p in self.tok.pieces(prompt)]
        caches = [dict() for _ in self.m.layers]
        out, stopped = [], False
        with torch.no_grad():
            logits = self.m(torch.tensor([x]), caches, 0)
            pos = len(x)
            for _ in range(max_new):
                nxt = int(logits[0, -1].argmax())
                if nxt in self.ends:
                    stopped = True
                    break
                out.append(nxt)
                logits = self.m(torch.tensor([[nxt]]), caches, pos)
                pos += 1
        text = b"".join(self.tokens[i] for i in out if i < len(self.tokens)).decode("utf-8", "replace")
        return text, out, stopped


def heldout_dirs(which):
    """Writes the held-out files of the corpus under data/heldout-files/<set>/ (once)."""
    src = os.path.join(HERE, "data", "corpus", "heldout.jsonl")
    out = {}
    for name in which:
        d = os.path.join(HERE, "data", "heldout-files", name)
        if not os.path.isdir(d):
            tmp = d + ".tmp"
            with open(src, encoding="utf-8") as f:
                for line in f:
                    doc = json.loads(line)
                    if name == "cpython" and not doc["source"].startswith("cpython-"):
                        continue
                    key = hashlib.sha1((doc["source"] + "/" + doc["path"]).encode()).hexdigest()
                    if name == "sample" and key[0] not in "01":
                        continue
                    path = os.path.join(tmp, doc["source"], doc["path"])
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", encoding="utf-8") as g:
                        g.write(doc["text"])
            os.replace(tmp, d)
        out[name] = d
    return out


def java_perplexity(gguf, d, threads):
    r = subprocess.run([os.path.join(ROOT, "rsd"), "perplexity", "--model", gguf, "--dir", d,
                        "--ext", ".py,.java", "--window", "1024", "--threads", str(threads), "--json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rsd perplexity failed: {r.stderr.strip()[-500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description="generation quality on unseen prompts + held-out loss/top-1")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--gguf", help="GGUF model, run on rsd's Java engine")
    g.add_argument("--ckpt", help="train.py checkpoint, run in PyTorch")
    ap.add_argument("--max-new", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--heldout", default="", help="comma-separated: cpython, sample, all (--gguf only)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--show", action="store_true", help="print every completion")
    args = ap.parse_args()
    if args.gguf and not os.path.isfile(args.gguf):
        print(f"quality.py: {args.gguf}: no such file", file=sys.stderr)
        return 2
    gen = (lambda p, n: java_generate(args.gguf, p, n, args.threads)) if args.gguf else \
        TorchGenerator(args.ckpt, args.threads)
    t0 = time.time()
    rows = []
    for p in prompts():
        text, ids, stopped = gen(p["prompt"], args.max_new)
        body, function_end = cut_at_stop(text)
        rows.append({"task_id": p["task_id"], "tokens": len(ids), "loop": ends_in_loop(ids),
                     "stops": stopped, "function_end": function_end,
                     "parses": parses_with_body(p["prompt"], body), "completion": text})
        if args.show:
            r = rows[-1]
            print(f"--- {r['task_id']} loop={r['loop']} stops={r['stops']} function_end={r['function_end']} "
                  f"parses={r['parses']}\n{p['prompt']}{text}")
    fib_text, _, _ = gen("def fibonacci(n):", 64)

    def share(sel, key):
        return sum(r[key] for r in sel) / len(sel)
    summary = {"model": args.gguf or args.ckpt, "backend": "java" if args.gguf else "pytorch",
               "max_new": args.max_new}
    for label, sel in (("humaneval_style", [r for r in rows if r["task_id"].startswith("rsd-quality/")]),
                       ("model_card", [r for r in rows if r["task_id"].startswith("model-card/")])):
        summary[label] = {"prompts": len(sel), **{k: sum(r[k] for r in sel) for k in
                                                  ("loop", "stops", "function_end", "parses")},
                          **{k + "_share": round(share(sel, k), 3) for k in ("loop", "stops", "function_end", "parses")}}
    summary["fibonacci"] = "def fibonacci(n):" + fib_text
    if args.heldout:
        if not args.gguf:
            print("quality.py: --heldout needs --gguf (use evaluate.py for checkpoints)", file=sys.stderr)
            return 2
        summary["heldout"] = {}
        for name, d in heldout_dirs(args.heldout.split(",")).items():
            r = java_perplexity(args.gguf, d, args.threads)
            summary["heldout"][name] = {k: r[k] for k in r if k in
                                        ("tokens", "scored_tokens", "mean_loss", "perplexity", "top1_accuracy", "files")} or r
    summary["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"summary": summary, "completions": rows}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
