"""A Llama-architecture decoder in PyTorch, laid out exactly as llama.cpp's `llama` GGUF expects.

RMSNorm (eps 1e-5), rotary embeddings on ADJACENT pairs (x[2i], x[2i+1]) -- llama.cpp's normal
rope mode -- so the exported Q/K weights need no permutation, grouped-query attention, SwiGLU
feed-forward, and the output projection tied to the token embedding.
"""
import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclasses.dataclass
class Config:
    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    context_length: int = 1024
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_heads


# Sizes chosen for throughput on a 2-core CPU (see docs/training.md for the measurements).
PRESETS = {
    "target": dict(dim=384, n_layers=8, n_heads=6, n_kv_heads=2, ffn_dim=1024),
    "draft": dict(dim=128, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=384),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight).type_as(x)


def rope_tables(cfg, length, device=None):
    inv = 1.0 / (cfg.rope_base ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
    ang = torch.outer(torch.arange(length, dtype=torch.float32), inv)  # (T, D/2)
    return torch.cos(ang).to(device), torch.sin(ang).to(device)


def apply_rope(x, cos, sin):
    """x: (B, T, H, D); rotates the pairs (x[2i], x[2i+1]) by position * theta_i."""
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        b, t, _ = x.shape
        cfg = self.cfg
        hd = cfg.head_dim
        q = apply_rope(self.wq(x).view(b, t, cfg.n_heads, hd), cos, sin)
        k = apply_rope(self.wk(x).view(b, t, cfg.n_kv_heads, hd), cos, sin)
        v = self.wv(x).view(b, t, cfg.n_kv_heads, hd)
        if cache is not None:  # incremental decoding: prepend the keys/values of earlier positions
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=1)
                v = torch.cat([cache["v"], v], dim=1)
            cache["k"], cache["v"] = k, v
        rep = cfg.n_heads // cfg.n_kv_heads
        q = q.transpose(1, 2)                                   # (B, H, T, D)
        k = k.transpose(1, 2).repeat_interleave(rep, dim=1)     # head h uses kv head h // rep
        v = v.transpose(1, 2).repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + mask
        att = torch.softmax(att.float(), dim=-1).type_as(q)
        y = (att @ v).transpose(1, 2).reshape(b, t, cfg.n_heads * hd)
        return self.wo(y)


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w_gate = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w_up = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w_down = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn = FeedForward(cfg)

    def forward(self, x, cos, sin, mask, cache=None):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask, cache)
        return x + self.ffn(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.reset_parameters()

    def reset_parameters(self):
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("wo.weight") or name.endswith("w_down.weight"):
                    std = 0.02 / math.sqrt(2 * self.cfg.n_layers)  # residual branches start small
                nn.init.normal_(p, mean=0.0, std=std)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, tokens, caches=None, start=0):
        """tokens: (B, T) int64 at positions start..start+T-1 -> logits (B, T, V).
        caches: None for training, or one dict per layer that keeps keys/values between calls."""
        t = tokens.shape[1]
        cos, sin = rope_tables(self.cfg, start + t, tokens.device)
        cos, sin = cos[start:], sin[start:]
        mask = torch.full((t, start + t), float("-inf"), device=tokens.device).triu(start + 1)
        x = self.tok_embeddings(tokens)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if caches is None else caches[i])
        x = self.norm(x)
        return x @ self.tok_embeddings.weight.t()


def from_state(state):
    """The model of a checkpoint dict written by train.py (its config and weights)."""
    m = Llama(Config(**state["config"]))
    m.load_state_dict(state["model"])
    return m


def load_for_inference(path):
    """A checkpoint file written by train.py, as (model in eval mode, the checkpoint dict)."""
    state = torch.load(path, map_location="cpu")
    m = from_state(state)
    m.eval()
    return m, state
