#!/usr/bin/python3
"""Trains the target and the draft model together on the same batches, resumably.

Each step draws one batch of windows and takes one AdamW step for every model named in --models
(the draft costs ~1/8 of the target, so interleaving it keeps one process and two threads busy
instead of two processes fighting for two cores).

Data: the file stream (--data) is cut into windows of --seq + 1 tokens starting every --seq
tokens; with --mix PATH:W a share W of the rows comes from a second stream (the function samples)
cut the same way. Row g of the run is a second-stream row iff floor((g+1)W) > floor(gW), so each
stream's row count is known in closed form; each stream visits all its windows once per epoch
in an order drawn from (seed, stream, epoch). A step's batch depends only on (seed, rows done), so
a resumed run continues with exactly the batches it would have seen.

Learning rate, per phase: --phase names a schedule; linear warm-up over --warmup steps, then
cosine decay to 10 % of the peak over --schedule-tokens tokens (or --epochs passes over the file
stream), counted from the tokens done when the phase began. Resuming with the same --phase
continues its schedule; a new --phase name starts a new one from the current weights. --init DIR
starts a model whose checkpoint does not exist yet from DIR/<model>.pt (for example a shipped GGUF
converted by gguf_to_ckpt.py), with a fresh optimizer.

Device: CUDA when available (or --device), else CPU; bf16 autocast on both. Checkpoints (atomic:
write to .tmp, then rename) go to --out/<model>.pt every --ckpt-minutes and at exit on
SIGTERM/SIGINT; progress lines go to --out/train.log, and every --eval-minutes a held-out loss
and top-1 on fixed windows of --eval-data (files) and --eval-functions.
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


class Stream:
    """Windows of seq + 1 tokens of one token file, each epoch in its own random order."""

    def __init__(self, data, seq, seed, stream_id):
        self.data = data
        self.seq = seq
        self.seed = seed
        self.stream_id = stream_id
        self.n_windows = (len(data) - 1) // seq
        self._perm_epoch = None
        self._perm = None

    def window(self, k):
        epoch, i = divmod(k, self.n_windows)
        if self._perm_epoch != epoch:
            # Stream 0 keeps the order of the trainer without --mix: rng([seed, epoch]).
            key = [self.seed, epoch] if self.stream_id == 0 else [self.seed, 1000 + self.stream_id, epoch]
            self._perm = np.random.default_rng(key).permutation(self.n_windows)
            self._perm_epoch = epoch
        start = int(self._perm[i]) * self.seq
        return self.data[start:start + self.seq + 1]


class Batches:
    def __init__(self, data, seq, batch, seed, mix_data=None, mix_weight=0.0):
        self.batch = batch
        self.files = Stream(data, seq, seed, 0)
        self.mix = Stream(mix_data, seq, seed, 1) if mix_data is not None and mix_weight > 0 else None
        self.w = mix_weight if self.mix is not None else 0.0

    def row(self, g):
        before = math.floor(g * self.w)  # second-stream rows among rows 0..g-1
        if math.floor((g + 1) * self.w) > before:
            return self.mix.window(before)
        return self.files.window(g - before)

    def get(self, sample_index):
        rows = [self.row(g) for g in range(sample_index, sample_index + self.batch)]
        return torch.from_numpy(np.stack(rows).astype(np.int64))


def pick_dtype(device):
    """bf16 autocast where it is faster: always on CUDA; on a CPU only with native bf16 kernels
    (an AVX-512-BF16 EPYC ran bf16 4-15x faster than fp32; an AVX2-only one 45x slower)."""
    if device.type == "cuda":
        return "bf16"
    a, w = torch.randn(256, 384), torch.randn(1024, 384)
    times = {}
    for name, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        x, y = a.to(dt), w.to(dt)
        x @ y.t()
        t0 = time.perf_counter()
        for _ in range(3):
            x @ y.t()
        times[name] = time.perf_counter() - t0
    return min(times, key=times.get)


def lr_at(step, total_steps, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def eval_windows(data, seq, n):
    starts = np.linspace(0, len(data) - seq - 2, n).astype(np.int64)
    return torch.from_numpy(np.stack([data[s:s + seq + 1] for s in starts]).astype(np.int64))


def quick_eval(m, x, device, autocast, batch=4):
    """Mean loss and top-1 over the rows of x (every position scored)."""
    m.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].to(device)
            with autocast():
                logits = m(xb[:, :-1])
            logits = logits.float()
            y = xb[:, 1:]
            loss_sum += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            correct += (logits.argmax(-1) == y).sum().item()
            n += y.numel()
    m.train()
    return loss_sum / n, correct / n


def main():
    ap = argparse.ArgumentParser(description="train target and draft models")
    ap.add_argument("--models", default="target,draft")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "train.bin"))
    ap.add_argument("--mix", default=None, help="PATH:W - a share W of the rows from the token file PATH")
    ap.add_argument("--vocab", default=os.path.join(HERE, "out", "vocab.json"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--init", default=None, help="folder with <model>.pt to start new models from")
    ap.add_argument("--seq", type=int, default=256, help="training window (config context stays 1024)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--epochs", type=float, default=1.0, help="schedule length in passes over --data")
    ap.add_argument("--schedule-tokens", type=int, default=0, help="schedule length in tokens (overrides --epochs)")
    ap.add_argument("--phase", default="", help="schedule name; a new name starts a new schedule")
    ap.add_argument("--lr-scale", type=float, default=1.0, help="peak learning rates times this")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda")
    ap.add_argument("--dtype", choices=["auto", "bf16", "fp32"], default="auto",
                    help="auto: bf16 on CUDA; on a CPU whichever of bf16 and fp32 multiplies faster here")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--eval-minutes", type=float, default=0.0, help="held-out check every N minutes (0: never)")
    ap.add_argument("--eval-data", default=os.path.join(HERE, "data", "heldout.bin"))
    ap.add_argument("--eval-functions", default=os.path.join(HERE, "data", "functions-heldout.bin"))
    ap.add_argument("--eval-windows", type=int, default=16)
    ap.add_argument("--pid-file", default=None, help="write this process's id here (for kill -STOP/-CONT)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = schedule end)")
    args = ap.parse_args()

    if args.pid_file:
        with open(args.pid_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(args.pid_file + ".tmp", args.pid_file)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))

    if args.dtype == "auto":
        args.dtype = pick_dtype(device)

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.dtype == "bf16")

    data = np.fromfile(args.data, dtype=np.uint16)
    mix_data, mix_w = None, 0.0
    if args.mix:
        path, w = args.mix.rsplit(":", 1)
        mix_data, mix_w = np.fromfile(path, dtype=np.uint16), float(w)
    batches = Batches(data, args.seq, args.batch, args.seed, mix_data, mix_w)
    tokens_per_step = args.batch * args.seq
    if args.schedule_tokens:
        total_steps = args.schedule_tokens // tokens_per_step
    else:
        total_steps = int(args.epochs * (batches.files.n_windows // args.batch) / (1 - batches.w))
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
        peak = LR[name] * args.lr_scale
        torch.manual_seed(args.seed)
        if os.path.exists(ckpt):
            state = torch.load(ckpt, map_location="cpu")
            cfg = model_mod.Config(**state["config"])
            m = model_mod.Llama(cfg)
            m.load_state_dict(state["model"])
            m.to(device)
            opt = torch.optim.AdamW(m.parameters(), lr=peak, betas=(0.9, 0.95), weight_decay=0.1)
            opt.load_state_dict(state["optimizer"])
            meta = state["meta"]
            say(f"resume {name} from {ckpt}: step {meta['step']} tokens {meta['tokens']}")
        else:
            if args.init:
                state = torch.load(os.path.join(args.init, name + ".pt"), map_location="cpu")
                cfg = model_mod.Config(**state["config"])
                m = model_mod.Llama(cfg)
                m.load_state_dict(state["model"])
                origin = state.get("meta", {})
                say(f"init {name} from {os.path.join(args.init, name + '.pt')} ({origin.get('from_gguf', 'checkpoint')}), "
                    f"fresh optimizer")
            else:
                cfg = model_mod.Config(vocab_size=V, **model_mod.PRESETS[name])
                m = model_mod.Llama(cfg)
                origin = {}
                say(f"new {name}: {m.num_params()} parameters, config {dataclasses.asdict(cfg)}")
            m.to(device)
            opt = torch.optim.AdamW(m.parameters(), lr=peak, betas=(0.9, 0.95), weight_decay=0.1)
            meta = {"step": 0, "samples": 0, "tokens": 0, "seconds": 0.0, "seq": args.seq,
                    "init": origin}
        if meta.get("seq") != args.seq:  # window length changed: continue at the same token count
            meta["samples"] = meta["tokens"] // args.seq
            meta["seq"] = args.seq
        if meta.get("phase", "") != args.phase:
            say(f"{name}: phase '{args.phase}' starts at step {meta['step']}, tokens {meta['tokens']}")
            meta["phase"] = args.phase
            meta["phase_start_tokens"] = meta["tokens"]
        meta.setdefault("phase_start_tokens", 0)
        runs[name] = {"model": m, "opt": opt, "meta": meta, "ckpt": ckpt, "cfg": cfg,
                      "loss_ema": None, "peak": peak}

    say(f"train: {len(data)} tokens, {batches.files.n_windows} windows of {args.seq}"
        + (f", mix {args.mix} ({batches.mix.n_windows} windows)" if batches.mix else "")
        + f", batch {args.batch}, phase '{args.phase}' schedule {total_steps} steps, dtype {args.dtype}, "
        f"device {device}, threads {args.threads}")

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def checkpoint():
        for name, r in runs.items():
            save_atomic({"config": dataclasses.asdict(r["cfg"]),
                         "model": {k: v.cpu() for k, v in r["model"].state_dict().items()},
                         "optimizer": r["opt"].state_dict(), "meta": r["meta"],
                         "args": vars(args)}, r["ckpt"])
        say("checkpoint " + " ".join(f"{n}:step{r['meta']['step']}" for n, r in runs.items()))

    evals = []
    if args.eval_minutes > 0:
        for label, path in (("heldout", args.eval_data), ("functions", args.eval_functions)):
            if os.path.exists(path):
                evals.append((label, eval_windows(np.fromfile(path, dtype=np.uint16), 512, args.eval_windows)))

    def run_evals():
        parts = [f"eval step {min(r['meta']['step'] for r in runs.values())}"]
        for name, r in runs.items():
            for label, x in evals:
                loss, top1 = quick_eval(r["model"], x, device, autocast)
                parts.append(f"{name} {label} loss {loss:.3f} top1 {top1:.3f}")
        say(" | ".join(parts))

    last_ckpt = last_eval = time.time()
    if evals:
        run_evals()
    window_t0, window_tokens = time.time(), 0
    while not stop["flag"]:
        step = min(r["meta"]["step"] for r in runs.values())
        # Schedule position in tokens since the phase began, so a resume with another
        # --batch/--seq keeps its place.
        done = min(r["meta"]["tokens"] - r["meta"]["phase_start_tokens"] for r in runs.values()) // tokens_per_step
        if done >= total_steps or (args.max_steps and step >= args.max_steps):
            break
        for name, r in runs.items():
            meta = r["meta"]
            if meta["step"] != step:
                continue  # a model that is ahead (e.g. added later) waits for the others
            x = batches.get(meta["samples"]).to(device)
            lr = lr_at((meta["tokens"] - meta["phase_start_tokens"]) // tokens_per_step, total_steps,
                       args.warmup, r["peak"])
            for g in r["opt"].param_groups:
                g["lr"] = lr
            t0 = time.time()
            with autocast():
                logits = r["model"](x[:, :-1])
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
            r["opt"].zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(r["model"].parameters(), 1.0)
            r["opt"].step()
            meta["seconds"] += time.time() - t0
            meta["step"] += 1
            meta["samples"] += args.batch
            meta["tokens"] += tokens_per_step
            r["loss_ema"] = loss.item() if r["loss_ema"] is None else 0.9 * r["loss_ema"] + 0.1 * loss.item()
            r["last_loss"] = loss.item()
            r["lr"] = lr
        window_tokens += tokens_per_step
        if (step + 1) % 10 == 0:
            dt = time.time() - window_t0
            first = runs[next(iter(runs))]["meta"]
            parts = [f"step {step + 1}", f"phase {done + 1}/{total_steps}",
                     f"epoch {first['tokens'] / len(data):.3f}", f"tok/s {window_tokens / dt:.0f}"]
            for name, r in runs.items():
                parts.append(f"{name} loss {r['last_loss']:.3f} ema {r['loss_ema']:.3f} lr {r['lr']:.2e}")
            say(" | ".join(parts))
            window_t0, window_tokens = time.time(), 0
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
        if evals and time.time() - last_eval > args.eval_minutes * 60:
            run_evals()
            last_eval = time.time()
    checkpoint()
    if evals:
        run_evals()
    say("stopped" if stop["flag"] else "schedule finished")


if __name__ == "__main__":
    sys.exit(main())
