#!/usr/bin/python3
"""Writes a training checkpoint as a standard GGUF v3 `llama` model, then checks the file.

Layout (what llama.cpp's llama architecture loads unchanged): token_embd.weight,
blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_up,ffn_down}.weight,
output_norm.weight; no output.weight because the output projection is tied to token_embd.
Dimensions are in GGUF order (ne0 = columns = input dimension), matrices F16 (or Q8_0 with
--type q8_0), norms F32. Q/K are stored unpermuted: the model rotates adjacent pairs, as
llama.cpp's normal rope mode does.

Self-check after writing (numpy only): parse the file back, compare every tensor with the
checkpoint, run a numpy forward pass from the GGUF tensors and compare logits with PyTorch, and
check that merge-priority BPE over the stored merges cuts held-out text exactly like the
subset rank-based BPE used for training.

Usage: export_gguf.py --ckpt train/out/target.pt --out train/out/rsd-code.gguf [--type f16|q8_0]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

import bpe
import vocab as vocab_mod

HERE = os.path.dirname(os.path.abspath(__file__))
ALIGN = 32
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


def gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_str(key) + struct.pack("<I", vtype)
    if vtype == T_STR:
        return out + gguf_str(value)
    if vtype == T_ARR:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        if etype == T_STR:
            return out + b"".join(gguf_str(s) for s in items)
        fmt = {T_I32: "<i", T_U32: "<I", T_F32: "<f"}[etype]
        return out + b"".join(struct.pack(fmt, x) for x in items)
    fmt = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?", T_U64: "<Q"}[vtype]
    return out + struct.pack(fmt, value)


def quantize_q8_0(a):
    """ggml Q8_0: blocks of 32 along rows, each an f16 scale then 32 int8 (x = d * q)."""
    rows, cols = a.shape
    assert cols % 32 == 0, "Q8_0 needs rows that are a multiple of 32"
    blocks = a.astype(np.float32).reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.round(blocks * inv).astype(np.int8)
    out = np.empty(blocks.shape[0], dtype=[("d", "<f2"), ("q", "i1", (32,))])
    out["d"] = d[:, 0].astype(np.float16)
    out["q"] = q
    return out.tobytes()


def dequantize_q8_0(raw, shape):
    blocks = np.frombuffer(raw, dtype=[("d", "<f2"), ("q", "i1", (32,))])
    return (blocks["q"].astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


def tensors_from_state(sd, n_layers):
    """(gguf name, numpy float32 array in PyTorch (rows, cols) layout) in file order."""
    def t(k):
        return sd[k].float().numpy()
    out = [("token_embd.weight", t("tok_embeddings.weight"))]
    for i in range(n_layers):
        p = f"layers.{i}."
        out += [(f"blk.{i}.attn_norm.weight", t(p + "attn_norm.weight")),
                (f"blk.{i}.attn_q.weight", t(p + "attn.wq.weight")),
                (f"blk.{i}.attn_k.weight", t(p + "attn.wk.weight")),
                (f"blk.{i}.attn_v.weight", t(p + "attn.wv.weight")),
                (f"blk.{i}.attn_output.weight", t(p + "attn.wo.weight")),
                (f"blk.{i}.ffn_norm.weight", t(p + "ffn_norm.weight")),
                (f"blk.{i}.ffn_gate.weight", t(p + "ffn.w_gate.weight")),
                (f"blk.{i}.ffn_up.weight", t(p + "ffn.w_up.weight")),
                (f"blk.{i}.ffn_down.weight", t(p + "ffn.w_down.weight"))]
    out.append(("output_norm.weight", t("norm.weight")))
    return out


def write_gguf(path, cfg, tensors, vocab_path, name, qtype):
    tokens, specials, merges, _ = vocab_mod.load_vocab(vocab_path)
    n_regular = len(tokens)
    token_strs = [bpe.gpt2_string(t) for t in tokens] + specials
    token_types = [TOKEN_NORMAL] * n_regular + [TOKEN_CONTROL] * len(specials)
    sid = {s: n_regular + i for i, s in enumerate(specials)}
    assert len(token_strs) == cfg["vocab_size"], "vocab.json does not match the checkpoint"
    meta = [
        kv("general.architecture", T_STR, "llama"),
        kv("general.name", T_STR, name),
        kv("general.alignment", T_U32, ALIGN),
        kv("general.file_type", T_U32, 7 if qtype == "q8_0" else 1),
        kv("llama.vocab_size", T_U32, cfg["vocab_size"]),
        kv("llama.context_length", T_U32, cfg["context_length"]),
        kv("llama.embedding_length", T_U32, cfg["dim"]),
        kv("llama.block_count", T_U32, cfg["n_layers"]),
        kv("llama.feed_forward_length", T_U32, cfg["ffn_dim"]),
        kv("llama.rope.dimension_count", T_U32, cfg["dim"] // cfg["n_heads"]),
        kv("llama.attention.head_count", T_U32, cfg["n_heads"]),
        kv("llama.attention.head_count_kv", T_U32, cfg["n_kv_heads"]),
        kv("llama.attention.layer_norm_rms_epsilon", T_F32, cfg["norm_eps"]),
        kv("llama.rope.freq_base", T_F32, cfg["rope_base"]),
        kv("tokenizer.ggml.model", T_STR, "gpt2"),
        kv("tokenizer.ggml.pre", T_STR, "llama-bpe"),
        kv("tokenizer.ggml.tokens", T_ARR, (T_STR, token_strs)),
        kv("tokenizer.ggml.token_type", T_ARR, (T_I32, token_types)),
        kv("tokenizer.ggml.merges", T_ARR, (T_STR, merges)),
        kv("tokenizer.ggml.bos_token_id", T_U32, sid["<|begin_of_text|>"]),
        kv("tokenizer.ggml.eos_token_id", T_U32, sid["<|end_of_text|>"]),
        kv("tokenizer.ggml.eot_token_id", T_U32, sid["<|eot_id|>"]),
        kv("tokenizer.ggml.add_bos_token", T_BOOL, True),
        kv("tokenizer.ggml.add_eos_token", T_BOOL, False),
    ]
    infos, blobs, offset = [], [], 0
    for tname, a in tensors:
        if a.ndim == 2 and qtype == "q8_0":
            raw, gtype = quantize_q8_0(a), GGML_Q8_0
        elif a.ndim == 2:
            raw, gtype = a.astype("<f2").tobytes(), GGML_F16
        else:
            raw, gtype = a.astype("<f4").tobytes(), GGML_F32
        dims = list(reversed(a.shape))  # GGUF: ne0 is the fastest-varying (column) dimension
        infos.append(gguf_str(tname) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", gtype, offset))
        blobs.append(raw)
        offset += len(raw)
        offset += (-offset) % ALIGN
    header = struct.pack("<4sIQQ", b"GGUF", 3, len(tensors), len(meta))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header)
        for m in meta:
            f.write(m)
        for i in infos:
            f.write(i)
        f.write(b"\0" * ((-f.tell()) % ALIGN))
        for raw in blobs:
            f.write(raw)
            f.write(b"\0" * ((-len(raw)) % ALIGN))
    os.replace(tmp, path)


# ---------------------------------------------------------------- reading back (self-check)

def read_gguf(path):
    buf = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def rstr():
        nonlocal pos
        n = take("<Q")
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
              T_F32: "<f", T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}

    def rval(t):
        if t == T_STR:
            return rstr()
        if t == T_ARR:
            et, n = take("<I"), take("<Q")
            return [rval(et) for _ in range(n)]
        return take(scalar[t])

    magic, version, n_t, n_kv = take("<4sIQQ")
    assert magic == b"GGUF" and version == 3
    meta = {}
    for _ in range(n_kv):
        k = rstr()
        meta[k] = rval(take("<I"))
    infos = []
    for _ in range(n_t):
        name = rstr()
        nd = take("<I")
        dims = [take("<Q") for _ in range(nd)]
        gtype, off = take("<IQ")
        infos.append((name, dims, gtype, off))
    align = meta.get("general.alignment", 32)
    data_start = pos + (-pos) % align
    tensors = {}
    for name, dims, gtype, off in infos:
        shape = tuple(reversed(dims))
        n = int(np.prod(shape))
        start = data_start + off
        if gtype == GGML_F32:
            a = np.frombuffer(buf, "<f4", n, start).reshape(shape)
        elif gtype == GGML_F16:
            a = np.frombuffer(buf, "<f2", n, start).astype(np.float32).reshape(shape)
        elif gtype == GGML_Q8_0:
            a = dequantize_q8_0(buf[start:start + n // 32 * 34], shape)
        else:
            raise ValueError(f"unexpected tensor type {gtype}")
        tensors[name] = a
    return meta, tensors


def numpy_forward(meta, t, ids):
    """llama.cpp semantics from GGUF tensors: y = W @ x with W as (ne1, ne0) rows."""
    dim = meta["llama.embedding_length"]
    nh = meta["llama.attention.head_count"]
    nkv = meta["llama.attention.head_count_kv"]
    hd = dim // nh
    eps = meta["llama.attention.layer_norm_rms_epsilon"]
    base = meta["llama.rope.freq_base"]
    T = len(ids)

    def rms(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    def rope(x):  # x: (T, H, hd), adjacent pairs
        inv = base ** (-np.arange(0, hd, 2) / hd)
        ang = np.arange(T)[:, None] * inv[None, :]
        c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * c - x1 * s
        out[..., 1::2] = x0 * s + x1 * c
        return out

    x = t["token_embd.weight"][ids].astype(np.float64)
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for i in range(meta["llama.block_count"]):
        p = f"blk.{i}."
        h = rms(x, t[p + "attn_norm.weight"])
        q = rope((h @ t[p + "attn_q.weight"].T).reshape(T, nh, hd))
        k = rope((h @ t[p + "attn_k.weight"].T).reshape(T, nkv, hd))
        v = (h @ t[p + "attn_v.weight"].T).reshape(T, nkv, hd)
        o = np.empty((T, nh, hd))
        for hh in range(nh):
            kv_h = hh // (nh // nkv)
            s = q[:, hh] @ k[:, kv_h].T / np.sqrt(hd) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o[:, hh] = s @ v[:, kv_h]
        x = x + o.reshape(T, dim) @ t[p + "attn_output.weight"].T
        h = rms(x, t[p + "ffn_norm.weight"])
        g = h @ t[p + "ffn_gate.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ t[p + "ffn_up.weight"].T)) @ t[p + "ffn_down.weight"].T
    x = rms(x, t["output_norm.weight"])
    return x @ t["token_embd.weight"].T


def merge_priority_bpe(word_syms, merge_rank):
    """llama.cpp-style BPE: merge the adjacent pair with the lowest merge index, leftmost first."""
    syms = list(word_syms)
    while len(syms) > 1:
        best, best_r = None, None
        for i in range(len(syms) - 1):
            r = merge_rank.get((syms[i], syms[i + 1]))
            if r is not None and (best_r is None or r < best_r):
                best, best_r = i, r
        if best is None:
            break
        syms[best:best + 2] = [syms[best] + syms[best + 1]]
    return syms


def self_check(path, state, vocab_path, heldout_jsonl, qtype):
    import torch
    import model as model_mod
    meta, tensors = read_gguf(path)
    cfg = state["config"]
    assert meta["general.architecture"] == "llama"
    assert meta["llama.block_count"] == cfg["n_layers"]
    assert len(meta["tokenizer.ggml.tokens"]) == cfg["vocab_size"]
    assert "output.weight" not in tensors
    expected = dict(tensors_from_state(state["model"], cfg["n_layers"]))
    assert set(expected) == set(tensors), "tensor set differs"
    worst = 0.0
    for name, a in expected.items():
        assert tensors[name].shape == a.shape, name
        worst = max(worst, float(np.abs(tensors[name] - a).max()))
    tol = 0.02 if qtype == "q8_0" else 1e-3
    assert worst < tol, f"tensor round trip error {worst}"

    m = model_mod.from_state(state)
    ids = np.array([cfg["vocab_size"] - 5] + list(np.random.default_rng(0).integers(0, cfg["vocab_size"] - 5, 23)))
    with torch.no_grad():
        ref = m(torch.from_numpy(ids)[None])[0].double().numpy()
    got = numpy_forward(meta, tensors, ids)
    logit_err = float(np.abs(got - ref).max() / (np.abs(ref).max() + 1e-9))
    argmax_same = float((got.argmax(-1) == ref.argmax(-1)).mean())
    # Q8_0: the largest logit difference over all positions and the whole vocabulary, relative to the
    # largest logit, grows with training (0.078 for the target at step 12,646, where held-out loss on the
    # Java engine differs from F16 by 0.0002: 3.7568 vs 3.7566).
    assert logit_err < (0.1 if qtype == "q8_0" else 0.01), f"numpy forward differs: {logit_err}"
    # The greedy choice may only change where the reference's best two logits are closer than the error
    # (the small draft model's distributions after random tokens are often that flat).
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > 2 * np.abs(got - ref).max(axis=-1)
    flipped = decisive & (got.argmax(-1) != ref.argmax(-1))
    assert not flipped.any(), f"numpy forward picks another token at {int(flipped.sum())} decisive positions"

    tokens, _, merges, ranks = vocab_mod.load_vocab(vocab_path)
    merge_rank = {tuple(mg.split(" ")): i for i, mg in enumerate(merges)}
    sub = bpe.Tokenizer(dict(zip(tokens, ranks)))
    words = set()
    with open(heldout_jsonl, encoding="utf-8") as f:
        for line in f:
            words.update(bpe.PRETOKENIZE.findall(json.loads(line)["text"]))
    mismatch = 0
    for w in words:
        want = [bpe.gpt2_string(p) for p in sub.word(w)]
        got_p = merge_priority_bpe([bpe.BYTE_TO_UNICODE[b] for b in w.encode("utf-8")], merge_rank)
        mismatch += want != got_p
    assert mismatch == 0, f"{mismatch} held-out pre-tokens cut differently by merge-priority BPE"
    return {"tensors": len(tensors), "max_tensor_error": worst, "relative_logit_error": logit_err,
            "argmax_agreement": argmax_same, "heldout_pretokens_checked": len(words)}


def main():
    ap = argparse.ArgumentParser(description="export a checkpoint to GGUF")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--type", choices=["f16", "q8_0"], default="f16")
    ap.add_argument("--vocab", default=os.path.join(HERE, "out", "vocab.json"))
    ap.add_argument("--heldout", default=os.path.join(HERE, "data", "corpus", "heldout.jsonl"))
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    state = torch.load(args.ckpt, map_location="cpu")
    cfg = state["config"]
    name = args.name or os.path.splitext(os.path.basename(args.out))[0]
    write_gguf(args.out, cfg, tensors_from_state(state["model"], cfg["n_layers"]), args.vocab, name, args.type)
    print(f"export: {args.out}: {os.path.getsize(args.out)} bytes, step {state['meta']['step']}, "
          f"tokens {state['meta']['tokens']}")
    if not args.no_check:
        print("export: self-check " + json.dumps(self_check(args.out, state, args.vocab, args.heldout, args.type)))


if __name__ == "__main__":
    sys.exit(main())
