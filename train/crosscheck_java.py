#!/usr/bin/python3
"""Checks an exported GGUF against rsd's Java engine: greedy tokens of `rsd generate --mode standard`
must equal PyTorch's greedy tokens from the checkpoint the GGUF was exported from.

A mismatch late in the sequence can be an honest near-tie flipped by F16 rounding; a mismatch
at the first token means the export or the engine disagree about the model.

Usage: crosscheck_java.py CHECKPOINT GGUF [--tokens 32] [--jar rsd-cli/target/rsd.jar]
"""
import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

import bpe
import model as model_mod
import vocab as vocab_mod

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = 'import os\n\n\ndef list_python_files(root):\n    """Return the paths of all .py files under root."""\n'


def main():
    ap = argparse.ArgumentParser(description="PyTorch vs rsd Java greedy tokens")
    ap.add_argument("checkpoint")
    ap.add_argument("gguf")
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--jar", default=os.path.join(HERE, "..", "rsd-cli", "target", "rsd.jar"))
    ap.add_argument("--java", default="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    ap.add_argument("--vocab", default=os.path.join(HERE, "out", "vocab.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    tokens, _, _, ranks = vocab_mod.load_vocab(args.vocab)
    ids = {t: i for i, t in enumerate(tokens)}
    tok = bpe.Tokenizer(dict(zip(tokens, ranks)))
    m, state = model_mod.load_for_inference(args.checkpoint)
    x = [len(tokens)] + [ids[p] for p in tok.pieces(PROMPT)]  # BOS + prompt, as the engine does
    out = []
    with torch.no_grad():
        for _ in range(args.tokens):
            out.append(int(m(torch.tensor([x + out]))[0, -1].argmax()))
    r = subprocess.run([args.java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                        "-jar", args.jar, "generate", "--model", args.gguf, "--mode", "standard",
                        "--max-tokens", str(args.tokens), "--threads", "1", "--json", "--prompt", PROMPT],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr[-2000:], file=sys.stderr)
        return 1
    java = json.loads(r.stdout.strip().splitlines()[-1])["token_ids"]
    same = 0
    for a, b in zip(out, java):
        if a != b:
            break
        same += 1
    print(json.dumps({"identical_prefix": same, "compared": min(len(out), len(java)),
                      "pytorch": out, "java": java}))
    print(repr(b"".join(tokens[i] for i in out if i < len(tokens)).decode("utf-8", "replace")))
    return 0 if same == min(len(out), len(java)) else 1


if __name__ == "__main__":
    sys.exit(main())
