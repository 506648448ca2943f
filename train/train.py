#!/usr/bin/python3
"""Trains the target and the draft model together on the same batches, resumably.

Each step draws one batch of windows from train/data/train.bin and takes one AdamW step for
every model named in --models (the draft costs ~1/8 of the target, so interleaving it keeps one
process and two threads busy instead of two processes fighting for two cores).

Data order: the token stream is cut into windows of --seq + 1 tokens starting every --seq tokens;
each epoch visits all windows once in an order drawn from (seed, epoch). A step's batch depends
only on (seed, samples done), so a resumed run continues with exactly the batches it would have
seen. Learning rate: linear warm-up, then cosine decay to 10 % over --epochs passes.

Checkpoints (atomic: write to .tmp, then rename) go to train/out/<model>.pt every
--ckpt-minutes and at exit on SIGTERM/SIGINT; progress lines go to train/out/train.log.
"""
import argparse
import dataclasses
import math
import os
import signal
import sys
import time

# OpenMP threads that spin while waiting burn the CPU share of a busy 2-core machine: with
# spinning, training got ~107 tokens per CPU-second; with passive waiting ~715 (docs/training.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

import model as model_mod

HERE = os.path.dirname(os.path.abspath(__file__))
LR = {"target": 1.5e-3, "draft": 3e-3}


def vocab_size(vocab_path):
    import json
    with open(vocab_path) as f:
        v = json.load(f)
    return len(v["tokens_b64"]) + len(v["specials"])


class Batches:
    def __init__(self, data, seq, batch, seed):
        self.data = data
        self.seq = seq
        self.batch = batch
        self.seed = seed
        self.n_windows = (len(data) - 1) // seq
        self._perm_epoch = None
        self._perm = None

    def perm(self, epoch):
        if self._perm_epoch != epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n_windows)
            self._perm_epoch = epoch
        return self._perm

    def get(self, sample_index):
        rows = []
        for g in range(sample_index, sample_index + self.batch):
            epoch, k = divmod(g, self.n_windows)
            start = int(self.perm(epoch)[k]) * self.seq
            rows.append(self.data[start:start + self.seq + 1])
        return torch.from_numpy(np.stack(rows).astype(np.int64))


def lr_at(step, total_steps, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="train target and draft models")
    ap.add_argument("--models", default="target,draft")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "train.bin"))
    ap.add_argument("--vocab", default=os.path.join(HERE, "out", "vocab.json"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--seq", type=int, default=256, help="training window (config context stays 1024)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--epochs", type=float, default=1.0, help="schedule length in passes over train")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = schedule end)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    data = np.fromfile(args.data, dtype=np.uint16)
    batches = Batches(data, args.seq, args.batch, args.seed)
    steps_per_epoch = batches.n_windows // args.batch
    total_steps = int(args.epochs * steps_per_epoch)
    V = vocab_size(args.vocab)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train.log"), "a", buffering=1)

    def say(msg):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        print(line, file=log)
        print(line, flush=True)

    runs = {}
    for name in args.models.split(","):
        ckpt = os.path.join(args.out, name + ".pt")
        if os.path.exists(ckpt):
            state = torch.load(ckpt)
            cfg = model_mod.Config(**state["config"])
            torch.manual_seed(args.seed)
            m = model_mod.Llama(cfg)
            m.load_state_dict(state["model"])
            opt = torch.optim.AdamW(m.parameters(), lr=LR[name], betas=(0.9, 0.95), weight_decay=0.1)
            opt.load_state_dict(state["optimizer"])
            meta = state["meta"]
            if meta["seq"] != args.seq:  # window length changed: continue at the same token count
                meta["samples"] = meta["tokens"] // args.seq
                meta["seq"] = args.seq
            say(f"resume {name} from {ckpt}: step {meta['step']} tokens {meta['tokens']}")
        else:
            cfg = model_mod.Config(vocab_size=V, **model_mod.PRESETS[name])
            torch.manual_seed(args.seed)
            m = model_mod.Llama(cfg)
            opt = torch.optim.AdamW(m.parameters(), lr=LR[name], betas=(0.9, 0.95), weight_decay=0.1)
            meta = {"step": 0, "samples": 0, "tokens": 0, "seconds": 0.0, "seq": args.seq}
            say(f"new {name}: {m.num_params()} parameters, config {dataclasses.asdict(cfg)}")
        runs[name] = {"model": m, "opt": opt, "meta": meta, "ckpt": ckpt, "cfg": cfg,
                      "loss_ema": None}

    say(f"train: {len(data)} tokens, {batches.n_windows} windows of {args.seq}, batch {args.batch}, "
        f"{steps_per_epoch} steps/epoch, schedule {total_steps} steps, dtype {args.dtype}, "
        f"threads {args.threads}")

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def checkpoint():
        for name, r in runs.items():
            save_atomic({"config": dataclasses.asdict(r["cfg"]), "model": r["model"].state_dict(),
                         "optimizer": r["opt"].state_dict(), "meta": r["meta"],
                         "args": vars(args)}, r["ckpt"])
        say("checkpoint " + " ".join(f"{n}:step{r['meta']['step']}" for n, r in runs.items()))

    last_ckpt = time.time()
    window_t0, window_tokens = time.time(), 0
    while not stop["flag"]:
        steps = [r["meta"]["step"] for r in runs.values()]
        step = min(steps)
        # Schedule position in tokens, so a resume with another --batch/--seq keeps its place.
        done = min(r["meta"]["tokens"] for r in runs.values()) // (args.batch * args.seq)
        if done >= total_steps or (args.max_steps and step >= args.max_steps):
            break
        for name, r in runs.items():
            meta = r["meta"]
            if meta["step"] != step:
                continue  # a model that is ahead (e.g. added later) waits for the others
            x = batches.get(meta["samples"])
            lr = lr_at(meta["tokens"] // (args.batch * args.seq), total_steps, args.warmup, LR[name])
            for g in r["opt"].param_groups:
                g["lr"] = lr
            t0 = time.time()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.dtype == "bf16"):
                logits = r["model"](x[:, :-1])
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
            r["opt"].zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(r["model"].parameters(), 1.0)
            r["opt"].step()
            meta["seconds"] += time.time() - t0
            meta["step"] += 1
            meta["samples"] += args.batch
            meta["tokens"] += args.batch * args.seq
            r["loss_ema"] = loss.item() if r["loss_ema"] is None else 0.9 * r["loss_ema"] + 0.1 * loss.item()
            r["last_loss"] = loss.item()
            r["lr"] = lr
        window_tokens += args.batch * args.seq
        if (step + 1) % 10 == 0:
            dt = time.time() - window_t0
            parts = [f"step {step + 1}/{total_steps}",
                     f"epoch {runs[next(iter(runs))]['meta']['tokens'] / len(data):.3f}",
                     f"tok/s {window_tokens / dt:.0f}"]
            for name, r in runs.items():
                parts.append(f"{name} loss {r['last_loss']:.3f} ema {r['loss_ema']:.3f} lr {r['lr']:.2e}")
            say(" | ".join(parts))
            window_t0, window_tokens = time.time(), 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    say("stopped" if stop["flag"] else "schedule finished")


if __name__ == "__main__":
    sys.exit(main())
