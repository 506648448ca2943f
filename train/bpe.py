"""Byte-level BPE as Llama 3 / cl100k_base do it, in plain Python (build-time only).

Rank-based BPE (as tiktoken): start from single bytes, repeatedly merge the adjacent pair whose
concatenation is a known token with the lowest rank, leftmost first on ties, until no adjacent
pair forms a known token. Restricting the rank table to a subset of tokens gives the subset
tokenizer used by the shipped models.
"""
import base64
import zipfile
import os

import regex

# Llama 3's pre-tokenizer (GGUF tokenizer.ggml.pre = llama-bpe).
PRETOKENIZE = regex.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
    r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

JTOKKIT_JAR = os.path.expanduser(
    "~/.m2/repository/com/knuddels/jtokkit/1.1.0/jtokkit-1.1.0.jar")
CL100K_RESOURCE = "com/knuddels/jtokkit/cl100k_base.tiktoken"

SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>"]


def load_cl100k(jar=JTOKKIT_JAR):
    """Returns {token bytes: rank} read from jtokkit's cl100k_base.tiktoken resource."""
    with zipfile.ZipFile(jar) as z:
        lines = z.read(CL100K_RESOURCE).decode("ascii").splitlines()
    ranks = {}
    for line in lines:
        if not line.strip():
            continue
        b64, rank = line.split()
        ranks[base64.b64decode(b64)] = int(rank)
    return ranks


def _lowest_rank_pair(parts, ranks):
    """Index of the adjacent pair whose concatenation has the lowest rank (leftmost on ties), or None."""
    best = None
    best_rank = None
    for i in range(len(parts) - 1):
        r = ranks.get(parts[i] + parts[i + 1])
        if r is not None and (best_rank is None or r < best_rank):
            best, best_rank = i, r
    return best


def bpe_parts(word, ranks):
    """Rank-based BPE of one pre-token (bytes) -> list of bytes pieces."""
    parts = [word[i:i + 1] for i in range(len(word))]
    while len(parts) > 1:
        best = _lowest_rank_pair(parts, ranks)
        if best is None:
            break
        parts[best:best + 2] = [parts[best] + parts[best + 1]]
    return parts


def last_merge_parents(token, ranks):
    """The two pieces that BPE of the token's own bytes merges last, or None when BPE of these
    bytes does not end in the token itself (such a token can never be produced)."""
    parts = [token[i:i + 1] for i in range(len(token))]
    while len(parts) > 1:
        best = _lowest_rank_pair(parts, ranks)
        if best is None:
            return None
        if len(parts) == 2:
            return (parts[0], parts[1])
        parts[best:best + 2] = [parts[best] + parts[best + 1]]
    return None


class Tokenizer:
    """Pre-tokenizer + rank-based BPE over a rank table, with a per-word cache."""

    def __init__(self, ranks):
        self.ranks = ranks
        self.cache = {}

    def word(self, w):
        """Pieces (bytes) of one pre-token given as str."""
        p = self.cache.get(w)
        if p is None:
            p = bpe_parts(w.encode("utf-8"), self.ranks)
            self.cache[w] = p
        return p

    def pieces(self, text):
        out = []
        for w in PRETOKENIZE.findall(text):
            out.extend(self.word(w))
        return out


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters (GGUF gpt2 tokens)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_TO_UNICODE = bytes_to_unicode()


def gpt2_string(token):
    return "".join(BYTE_TO_UNICODE[b] for b in token)
