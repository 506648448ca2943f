#!/usr/bin/python3
"""Loads a `llama` GGUF written by export_gguf.py back into a train.py checkpoint (weights only).

Training can then continue from a shipped model when its checkpoints are gone: the weights are
dequantized (F16 and Q8_0 matrices become float32; a Q8_0 model converts to exactly the weights the
Java engine computes with), the optimizer state is absent (train.py --init starts AdamW fresh), and
meta records which file the weights came from.

The GGUF also carries the vocabulary; with --vocab-out the script rebuilds vocab.json from it (token
bytes from the GPT-2 byte strings, cl100k ranks from jtokkit, merges as stored), so the token files
of a new corpus use exactly the ids the model was trained with.

Usage: gguf_to_ckpt.py models/rsd-code.gguf OUT.pt [--vocab-out train/out/vocab.json]
"""
import argparse
import base64
import json
import os
import sys

import numpy as np

import bpe
import export_gguf


def config_of(meta):
    return {"vocab_size": int(meta["llama.vocab_size"]),
            "dim": int(meta["llama.embedding_length"]),
            "n_layers": int(meta["llama.block_count"]),
            "n_heads": int(meta["llama.attention.head_count"]),
            "n_kv_heads": int(meta["llama.attention.head_count_kv"]),
            "ffn_dim": int(meta["llama.feed_forward_length"]),
            "context_length": int(meta["llama.context_length"]),
            "rope_base": float(meta["llama.rope.freq_base"]),
            "norm_eps": float(meta["llama.attention.layer_norm_rms_epsilon"])}


def state_dict_of(tensors, n_layers):
    """The inverse of export_gguf.tensors_from_state: GGUF names -> model.py parameter names."""
    names = {"token_embd.weight": "tok_embeddings.weight", "output_norm.weight": "norm.weight"}
    for i in range(n_layers):
        for g, p in (("attn_norm", "attn_norm"), ("attn_q", "attn.wq"), ("attn_k", "attn.wk"),
                     ("attn_v", "attn.wv"), ("attn_output", "attn.wo"), ("ffn_norm", "ffn_norm"),
                     ("ffn_gate", "ffn.w_gate"), ("ffn_up", "ffn.w_up"), ("ffn_down", "ffn.w_down")):
            names[f"blk.{i}.{g}.weight"] = f"layers.{i}.{p}.weight"
    if set(tensors) != set(names):
        raise ValueError(f"unexpected tensor set: {sorted(set(tensors) ^ set(names))}")
    return {names[k]: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}


def vocab_of(meta):
    """vocab.json content (as vocab.py writes it) from the GGUF's tokenizer keys."""
    strs = meta["tokenizer.ggml.tokens"]
    types = meta["tokenizer.ggml.token_type"]
    n_regular = sum(1 for t in types if t == export_gguf.TOKEN_NORMAL)
    specials = strs[n_regular:]
    if specials != bpe.SPECIALS:
        raise ValueError(f"special tokens differ from Llama 3's: {specials}")
    unicode_to_byte = {u: b for b, u in bpe.BYTE_TO_UNICODE.items()}
    tokens = [bytes(unicode_to_byte[c] for c in s) for s in strs[:n_regular]]
    ranks = bpe.load_cl100k()
    return {"description": "cl100k_base subset; id = position; cl100k rank given for each "
                           "(rebuilt from a GGUF by gguf_to_ckpt.py)",
            "tokens_b64": [base64.b64encode(t).decode("ascii") for t in tokens],
            "cl100k_ranks": [ranks[t] for t in tokens],
            "specials": specials,
            "merges": list(meta["tokenizer.ggml.merges"])}


def main():
    ap = argparse.ArgumentParser(description="GGUF -> train.py checkpoint (dequantized weights)")
    ap.add_argument("gguf")
    ap.add_argument("out")
    ap.add_argument("--vocab-out", default=None, help="also write vocab.json rebuilt from the GGUF")
    args = ap.parse_args()
    import torch
    meta, tensors = export_gguf.read_gguf(args.gguf)
    if meta.get("general.architecture") != "llama":
        print(f"gguf_to_ckpt: {args.gguf}: not a llama GGUF", file=sys.stderr)
        return 2
    cfg = config_of(meta)
    sd = {k: torch.from_numpy(v.copy()) for k, v in state_dict_of(tensors, cfg["n_layers"]).items()}
    import model as model_mod
    m = model_mod.Llama(model_mod.Config(**cfg))
    m.load_state_dict(sd)  # checks every name and shape against model.py
    state = {"config": cfg, "model": m.state_dict(),
             "meta": {"step": 0, "samples": 0, "tokens": 0, "seconds": 0.0, "seq": 0,
                      "from_gguf": os.path.basename(args.gguf), "gguf_file_type": meta.get("general.file_type"),
                      "gguf_name": meta.get("general.name")}}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save(state, args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)
    print(f"gguf_to_ckpt: {args.gguf} -> {args.out}: {m.num_params()} parameters, config {json.dumps(cfg)}")
    if args.vocab_out:
        v = vocab_of(meta)
        os.makedirs(os.path.dirname(os.path.abspath(args.vocab_out)), exist_ok=True)
        with open(args.vocab_out + ".tmp", "w") as f:
            json.dump(v, f)
        os.replace(args.vocab_out + ".tmp", args.vocab_out)
        print(f"gguf_to_ckpt: vocabulary {len(v['tokens_b64'])} + {len(v['specials'])} tokens, "
              f"{len(v['merges'])} merges -> {args.vocab_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
