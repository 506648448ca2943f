#!/usr/bin/python3
"""Fills models/README.md from train/model_card_template.md and the measured outputs in train/out:
corpus-manifest.json, eval.json (evaluate.py), samples-target.md (samples.py), train.log.
Copies the manifest and the vocabulary report next to the card (small JSON files).

Usage: model_card.py [--status TEXT]
"""
import argparse
import json
import os
import re
import shutil
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
MODELS = os.path.join(HERE, "..", "models")


def corpus_section(m):
    rows = ["| split / source | files | bytes | tokens |", "|---|---|---|---|"]
    for split in ("train", "heldout"):
        s = m["splits"][split]
        rows.append(f"| **{split}** | **{s['files']:,}** | **{s['bytes']:,}** | **{s['tokens']:,}** |")
        for src, p in s["per_source"].items():
            rows.append(f"| {split} / {src} | {p['files']:,} | {p['bytes']:,} | {p['tokens']:,} |")
    dups = ", ".join(f"{k}: {v['duplicates']}" for k, v in m["per_source"].items())
    return ("\n".join(rows) + "\n\n"
            f"Held-out rule: {m['split_rule']}. Non-Python (Java) share of tokens: "
            f"{m['non_python_token_share']:.1%}. Files dropped as duplicates: {dups}. Tokens include one "
            "`<|begin_of_text|>` per file. Full manifest: `models/corpus-manifest.json`; sources and "
            "filters: `docs/training.md`.")


def training_section(evals, log_lines, train_tokens):
    t = next(e for e in evals if "draft" not in os.path.basename(e["checkpoint"]))
    d = next(e for e in evals if "draft" in os.path.basename(e["checkpoint"]))
    rates = [int(x) for x in re.findall(r"tok/s (\d+)", "\n".join(log_lines))]
    recent = rates[-30:]
    return (f"- Tokens trained (both models, same batches): **{t['tokens_trained']:,}** "
            f"({t['tokens_trained'] / train_tokens:.2f} passes over the {train_tokens:,}-token training split), "
            f"{t['step']:,} steps of 1,024 tokens (4 x 256 up to step 3,404, then 1 x 1,024).\n"
            f"- Compute time inside training steps: target {t['train_seconds'] / 3600:.2f} h, draft "
            f"{d['train_seconds'] / 3600:.2f} h.\n"
            f"- Throughput (target + draft steps together, wall clock): median {statistics.median(recent):.0f} "
            f"tokens/s over the last {len(recent)} log lines (range {min(rates)}-{max(rates)} over the run; "
            "the machine was shared with Java builds and benchmarks at times, see docs/training.md).\n"
            "- Machine: 2-core AMD EPYC (AVX-512 with bf16), 24 GB RAM, no GPU; PyTorch 1.13 (Debian), "
            "bf16 autocast, 2 threads, `OMP_WAIT_POLICY=PASSIVE`.\n"
            "- Optimiser: AdamW (0.9, 0.95), weight decay 0.1, clip 1.0, peak lr 1.5e-3 target / 3e-3 draft, "
            "30 warm-up steps, cosine to 10 %; seed 1234. Schedule history: see Status.\n"
            "- Loss curve (training loss, EMA over steps; full log `train/out/train.log`, one line per 10 steps):\n\n"
            + loss_curve(log_lines))


def loss_curve(log_lines):
    pts = []
    for line in log_lines:
        m = re.search(r"step (\d+)/\d+ .*target loss [\d.]+ ema ([\d.]+).*draft loss [\d.]+ ema ([\d.]+)", line)
        if m:
            pts.append((int(m.group(1)), float(m.group(2)), float(m.group(3))))
    keep = {}
    for step, t, d in pts:  # the last line at or before each multiple of 250 steps
        keep[(step // 250) * 250] = (step, t, d)
    rows = ["| step | tokens | target loss (EMA) | draft loss (EMA) |", "|---|---|---|---|"]
    for step, t, d in sorted(keep.values()):
        rows.append(f"| {step:,} | {step * 1024:,} | {t:.2f} | {d:.2f} |")
    return "\n".join(rows)


def eval_section(evals):
    rows = ["| model | step | tokens trained | held-out tokens | mean loss | perplexity | top-1 |",
            "|---|---|---|---|---|---|---|"]
    for e in evals:
        name = "rsd-code-draft" if "draft" in os.path.basename(e["checkpoint"]) else "rsd-code"
        rows.append(f"| {name} | {e['step']:,} | {e['tokens_trained']:,} | {e['heldout_tokens']:,} | "
                    f"{e['mean_loss']:.3f} | {e['perplexity']:.1f} | {e['top1_accuracy']:.1%} |")
    return ("\n".join(rows) + "\n\n"
            f"Measured with `train/evaluate.py` (PyTorch, bf16 autocast): {evals[0]['heldout_tokens'] // evals[0]['seq']} "
            f"evenly spaced windows of {evals[0]['seq']} tokens from the held-out split, every position scored. "
            "Bar: top-1 >= 55 %. `rsd perplexity --model models/rsd-code.gguf --dir <held-out files>` "
            "measures the same on the Java engine.")


def main():
    ap = argparse.ArgumentParser(description="fill the model card from measured outputs")
    ap.add_argument("--status", default="")
    args = ap.parse_args()
    with open(os.path.join(OUT, "corpus-manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(OUT, "eval.json")) as f:
        evals = json.load(f)
    with open(os.path.join(OUT, "train.log")) as f:
        log_lines = [line for line in f if "tok/s" in line]
    with open(os.path.join(OUT, "samples-target.md")) as f:
        samples = f.read().strip()
    with open(os.path.join(HERE, "model_card_template.md")) as f:
        card = f.read()
    card = (card.replace("@STATUS@", args.status)
            .replace("@CORPUS@", corpus_section(manifest))
            .replace("@TRAINING@", training_section(evals, log_lines, manifest["splits"]["train"]["tokens"]))
            .replace("@EVAL@", eval_section(evals))
            .replace("@SAMPLES@", "Target model, prompts written for this project (`train/samples.py`); "
                     "bar: >= 50 % parse with `ast`. " + samples))
    os.makedirs(MODELS, exist_ok=True)
    with open(os.path.join(MODELS, "README.md"), "w") as f:
        f.write(card)
    shutil.copy(os.path.join(OUT, "corpus-manifest.json"), os.path.join(MODELS, "corpus-manifest.json"))
    shutil.copy(os.path.join(OUT, "vocab-report.json"), os.path.join(MODELS, "vocab-report.json"))


if __name__ == "__main__":
    main()
