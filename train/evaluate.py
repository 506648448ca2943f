#!/usr/bin/python3
"""Held-out loss, perplexity and top-1 next-token accuracy of checkpoints (PyTorch, build time).

Windows: --windows evenly spaced, non-overlapping windows of --seq + 1 tokens from
train/data/heldout.bin (deterministic, the same for every checkpoint). Every position of a window
is scored, so positions early in a window see little context, as in a chunked perplexity run.

Usage: evaluate.py train/out/target.pt [train/out/draft.pt ...] [--json out.json]
"""
import argparse
import json
import math
import os
import sys
import time

# OpenMP threads that spin while waiting burn the CPU share of a busy 2-core machine: with
# spinning, training got ~107 tokens per CPU-second; with passive waiting ~715 (docs/training.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

import model as model_mod
import train

HERE = os.path.dirname(os.path.abspath(__file__))


def evaluate(ckpt_path, data, seq, windows, batch=4):
    m, state = model_mod.load_for_inference(ckpt_path)
    bf16 = train.pick_dtype(torch.device("cpu")) == "bf16"  # bf16 is slower than fp32 without AVX-512-BF16
    starts = np.linspace(0, len(data) - seq - 2, windows).astype(np.int64)
    loss_sum, correct, n = 0.0, 0, 0
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, len(starts), batch):
            x = torch.from_numpy(np.stack([data[s:s + seq + 1] for s in starts[i:i + batch]]).astype(np.int64))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = m(x[:, :-1])
            logits = logits.float()
            y = x[:, 1:]
            loss_sum += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            correct += (logits.argmax(-1) == y).sum().item()
            n += y.numel()
    mean = loss_sum / n
    return {"checkpoint": ckpt_path, "step": state["meta"]["step"], "tokens_trained": state["meta"]["tokens"],
            "train_seconds": round(state["meta"]["seconds"]), "parameters": m.num_params(),
            "heldout_tokens": n, "seq": seq, "mean_loss": mean, "perplexity": math.exp(mean),
            "top1_accuracy": correct / n, "eval_seconds": round(time.time() - t0, 1)}


def main():
    ap = argparse.ArgumentParser(description="held-out evaluation of checkpoints")
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "heldout.bin"))
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--windows", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = np.fromfile(args.data, dtype=np.uint16)
    results = [evaluate(c, data, args.seq, args.windows) for c in args.checkpoints]
    for r in results:
        print(json.dumps(r))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(results, f, indent=2)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    sys.exit(main())
