#!/usr/bin/python3
"""Self-tests of the build-time tokenizer code (run by build.sh; stdlib unittest, no network).

Run: cd train && /usr/bin/python3 -m unittest test_bpe -v
"""
import os
import unittest

import bpe
import export_gguf
import vocab

HERE = os.path.dirname(os.path.abspath(__file__))


class FullCl100kTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ranks = bpe.load_cl100k()
        cls.tok = bpe.Tokenizer(cls.ranks)

    def pieces(self, text):
        return [p.decode("utf-8") for p in self.tok.pieces(text)]

    def test_rank_table_is_cl100k(self):
        self.assertEqual(100256, len(self.ranks))
        self.assertEqual(0, self.ranks[b"!"])
        self.assertEqual(256, len([t for t in self.ranks if len(t) == 1]))

    def test_python_lines_cut_like_llama3(self):
        # Expected pieces, measured with the real Llama-3 tokenizer.
        self.assertEqual(["def", " fibonacci", "(n", "):\n"], self.pieces("def fibonacci(n):\n"))
        self.assertEqual(["   ", " if", " n", " <", " ", "2", ":\n"], self.pieces("    if n < 2:\n"))
        self.assertEqual(["class", " Foo", "(", "Bar", "):\n"], self.pieces("class Foo(Bar):\n"))
        self.assertEqual(["       ", " self", ".a", " =", " a", "\n"], self.pieces("        self.a = a\n"))

    def test_numbers_split_into_three_digits(self):
        self.assertEqual(["x", " =", " ", "123", "456", "7"], self.pieces("x = 1234567"))

    def test_last_merge_parents_rebuild_the_token(self):
        for text in (b" fibonacci", b"):\n", b"       ", b" return"):
            a, b = bpe.last_merge_parents(text, self.ranks)
            self.assertEqual(text, a + b)
            self.assertIn(a, self.ranks)
            self.assertIn(b, self.ranks)


class SubsetTest(unittest.TestCase):
    def setUp(self):
        self.ranks = bpe.load_cl100k()
        freq = {b" return": 10, b" fibonacci": 9, b"):\n": 8}
        self.kept = vocab.select(self.ranks, freq, 400)
        self.sub = {t: self.ranks[t] for t in self.kept}

    def test_selection_is_merge_closed(self):
        for t in self.kept:
            if len(t) > 1:
                a, b = bpe.last_merge_parents(t, self.ranks)
                self.assertIn(a, self.kept)
                self.assertIn(b, self.kept)

    def test_every_kept_token_is_reachable(self):
        for t in self.kept:
            self.assertEqual([t], bpe.bpe_parts(t, self.sub))

    def test_merge_priority_bpe_equals_rank_bpe(self):
        merges = vocab.merges_for(self.kept, self.ranks)
        rank = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
        for w in ("def fibonacci", " return", "):\n", " fib", "hello world", "    x = 12345"):
            for piece in bpe.PRETOKENIZE.findall(w):
                want = [bpe.gpt2_string(p) for p in bpe.bpe_parts(piece.encode(), self.sub)]
                got = export_gguf.merge_priority_bpe([bpe.BYTE_TO_UNICODE[b] for b in piece.encode()], rank)
                self.assertEqual(want, got, piece)


class GgufTest(unittest.TestCase):
    def test_q8_0_round_trip(self):
        import numpy as np
        a = np.random.default_rng(1).normal(size=(4, 64)).astype(np.float32)
        back = export_gguf.dequantize_q8_0(export_gguf.quantize_q8_0(a), a.shape)
        self.assertLess(float(np.abs(back - a).max()), np.abs(a).max() / 127 + 1e-3)

    def test_gpt2_byte_map_is_a_bijection(self):
        self.assertEqual(256, len(set(bpe.BYTE_TO_UNICODE.values())))
        self.assertEqual("Ġ", bpe.BYTE_TO_UNICODE[ord(" ")])
        self.assertEqual("Ċ", bpe.BYTE_TO_UNICODE[ord("\n")])


if __name__ == "__main__":
    unittest.main()
