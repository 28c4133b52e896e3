"""Whisper's text decoder in numpy, read from a CTranslate2 ``model.bin``.

CTranslate2 runs the encoder (the costly part) and free decoding; this decoder exists for what
CTranslate2 does not offer: one token at a time with a key/value cache shared by the beams of
a grammar-constrained search, and scoring a given token sequence. Cross-attention keys and values
are computed once per utterance (CTranslate2 recomputes them on every ``generate`` call, which
made a step cost 20-50 ms; here a step costs a few).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# sequences scored in one pass: their logits over the vocabulary in use are held together
# (16 x 20 tokens x 12,000 columns: 15 MB)
SCORED_AT_ONCE = 16
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_variables(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model file (format version 6) whose names start with
    ``prefix``; aliases resolved. Arrays stored as they are used are views of the mapped file:
    only the pages read count in memory (the embedding table: 40 MB, of which a step reads a
    few rows)."""
    with Path(path).open("rb") as file:  # mapped: only the decoder's pages are read
        data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    offset = 0

    def take(fmt: str) -> tuple:
        nonlocal offset
        values = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return values

    def text() -> str:
        nonlocal offset
        (length,) = take("<H")
        value = data[offset:offset + length - 1].decode()
        offset += length
        return value

    (version,) = take("<I")
    if version < 5:
        raise ValueError(f"{path}: CTranslate2 model format {version} is too old")
    text()  # the spec name
    take("<I")  # the spec revision
    (count,) = take("<I")
    out: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = text()
        (rank,) = take("<B")
        dims = take(f"<{rank}I") if rank else ()
        (dtype_id,) = take("<B")
        (nbytes,) = take("<I")
        if name.startswith(prefix):
            if dtype_id == 5:  # bfloat16: the high half of a float32
                raw = np.frombuffer(data, np.uint16, nbytes // 2, offset).astype(np.uint32)
                out[name] = (raw << 16).view(np.float32).reshape(dims)
            else:
                dtype = _DTYPES[dtype_id]
                out[name] = np.frombuffer(data, dtype, nbytes // np.dtype(dtype).itemsize,
                                          offset).reshape(dims)
        offset += nbytes
    (aliases,) = take("<I")
    for _ in range(aliases):
        alias, target = text(), text()
        if alias.startswith(prefix) and target in out:
            out[alias] = out[target]
    return out


def _forget_pages(array: np.ndarray) -> None:
    """Let go of the pages of the mapped model file that loading read (the layers were widened
    into copies): the file stays in the page cache, and the few embedding rows a step reads
    come back on their own."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        base.madvise(mmap.MADV_DONTNEED)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    inner = x * x
    inner *= 0.044715 * 0.7978845608
    inner += 0.7978845608
    inner *= x
    np.tanh(inner, out=inner)
    inner += 1
    inner *= x
    inner *= 0.5
    return inner


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(-1, keepdims=True)
    np.exp(x, out=x)
    return x / x.sum(-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


@dataclass
class _Layer:
    self_ln: tuple[np.ndarray, np.ndarray]
    self_qkv: tuple[np.ndarray, np.ndarray]
    self_out: tuple[np.ndarray, np.ndarray]
    cross_ln: tuple[np.ndarray, np.ndarray]
    cross_q: tuple[np.ndarray, np.ndarray]
    cross_kv: tuple[np.ndarray, np.ndarray]
    cross_out: tuple[np.ndarray, np.ndarray]
    ffn_ln: tuple[np.ndarray, np.ndarray]
    ffn_in: tuple[np.ndarray, np.ndarray]
    ffn_out: tuple[np.ndarray, np.ndarray]


class DecoderState:
    """Beams of one utterance: the cross-attention of the audio and the self-attention cache
    of the prefix (the prompt), both shared by every beam, and each beam's own cache."""

    def __init__(self, cross: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.cross = cross  # per layer: keys [heads, head_dim, frames], values [h, frames, hd]
        self.prefix: list[tuple[np.ndarray, np.ndarray]] = []  # the same layout, tokens for
        #                                                        frames
        self.keys: list[np.ndarray] = []  # per layer: [beams, heads, tokens, head_dim]
        self.values: list[np.ndarray] = []
        self.prefix_length = 0
        self.length = 0  # prefix included
        self.last_hidden = np.zeros((1, 0), np.float32)  # the decoder's output after the prefix

    def fork(self) -> DecoderState:
        """A state with the same audio and prefix and no beams yet."""
        other = DecoderState(self.cross)
        other.prefix, other.prefix_length, other.length = self.prefix, self.prefix_length, \
            self.prefix_length
        other.last_hidden = self.last_hidden
        return other

    def select(self, parents: list[int] | np.ndarray) -> None:
        """Keep the caches of these beams (a beam may be chosen twice)."""
        index = np.asarray(parents)
        self.keys = [k[index] for k in self.keys]
        self.values = [v[index] for v in self.values]


class WhisperDecoder:
    def __init__(self, model_dir: Path, vocabulary: Iterable[int] | None = None) -> None:
        """``vocabulary``: the tokens to compute probabilities over (all when None); see
        ``use_vocabulary``."""
        v = read_ct2_variables(Path(model_dir) / "model.bin", "decoder/")

        def f32(name: str) -> np.ndarray:
            return np.ascontiguousarray(v[name], dtype=np.float32)

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            return np.ascontiguousarray(f32(name + "/weight").T), f32(name + "/bias")

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return f32(name + "/gamma"), f32(name + "/beta")

        self.heads = int(v["decoder/num_heads"])
        # half precision as stored, read from the mapped file: rows are widened when looked up
        self.embeddings = np.ascontiguousarray(v["decoder/embeddings/weight"],
                                               dtype=np.float16)
        self.vocab_size = self.embeddings.shape[0]
        self.use_vocabulary(range(self.vocab_size) if vocabulary is None else vocabulary)
        self.positions = f32("decoder/position_encodings/encodings")
        self.final_ln = norm("decoder/layer_norm")
        self.layers = []
        i = 0
        while f"decoder/layer_{i}/self_attention/linear_0/weight" in v:
            p = f"decoder/layer_{i}/"
            self.layers.append(_Layer(
                norm(p + "self_attention/layer_norm"), linear(p + "self_attention/linear_0"),
                linear(p + "self_attention/linear_1"), norm(p + "attention/layer_norm"),
                linear(p + "attention/linear_0"), linear(p + "attention/linear_1"),
                linear(p + "attention/linear_2"), norm(p + "ffn/layer_norm"),
                linear(p + "ffn/linear_0"), linear(p + "ffn/linear_1")))
            i += 1
        self.dim = self.embeddings.shape[1]
        self.head_dim = self.dim // self.heads
        self.max_tokens = self.positions.shape[0]
        self.forget_pages()

    def forget_pages(self) -> None:
        """Drop the pages of the mapped file read so far (free text outside the table reads
        rows of it)."""
        _forget_pages(self.embeddings)

    def use_vocabulary(self, ids: Iterable[int]) -> None:
        """Compute next-token probabilities over these tokens only (sorted ids).

        The output projection reads the whole 51864 x 384 embedding matrix every step and was
        most of a step's time; the tokens a grammar can write plus the commonest ones (low ids:
        byte-pair merges come in order of frequency) hold nearly all of the probability mass,
        so the normaliser over them is close to the full one."""
        self.vocabulary = np.asarray(sorted(set(ids)), dtype=np.int64)
        self.column = np.full(self.vocab_size, -1, dtype=np.int64)
        self.column[self.vocabulary] = np.arange(len(self.vocabulary))
        # the rows of these tokens widened once: they are also what the search feeds back, so
        # steps look them up here and leave the mapped file alone (reading its rows kept
        # adding pages to resident memory, 17 MB over 400 commands)
        self.table = self.embeddings[self.vocabulary].astype(np.float32)
        self.projection = self.table.T  # tied to the embeddings, as in Whisper

    def _embed(self, tokens: np.ndarray) -> np.ndarray:
        columns = self.column[tokens]
        if (columns >= 0).all():
            return self.table[columns]
        return self.embeddings[tokens].astype(np.float32)  # free text outside the table

    def _split(self, x: np.ndarray) -> np.ndarray:
        """[..., tokens, dim] -> [..., heads, tokens, head_dim]"""
        *lead, tokens, _ = x.shape
        return x.reshape(*lead, tokens, self.heads, self.head_dim).swapaxes(-2, -3)

    def read_audio(self, encoded: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The audio's keys and values for every layer's cross-attention (``encoded``: the
        encoder output, [frames, dim]): the same whatever the prefix."""
        cross = []
        for layer in self.layers:
            w, b = layer.cross_kv
            kv = encoded @ w + b
            keys = self._split(kv[:, :self.dim])  # [heads, frames, hd]
            cross.append((np.ascontiguousarray(keys.swapaxes(-1, -2)),
                          np.ascontiguousarray(self._split(kv[:, self.dim:]))))
        return cross

    def start(self, encoded: np.ndarray | list[tuple[np.ndarray, np.ndarray]],
              prefix: list[int]) -> tuple[DecoderState, np.ndarray]:
        """Read the audio (``encoded``: the encoder output, [frames, dim], or what
        ``read_audio`` made of it) and the prefix tokens (prompt, start of transcript);
        returns the state and the log-probabilities of the first token after the prefix."""
        cross = self.read_audio(encoded) if isinstance(encoded, np.ndarray) else encoded
        state = DecoderState(cross)
        state.last_hidden = self._forward(state, np.array([prefix]))[-1:]
        logprobs = log_softmax(state.last_hidden @ self.projection)
        state.prefix = [(np.ascontiguousarray(k[0].swapaxes(-1, -2)), np.ascontiguousarray(v[0]))
                        for k, v in zip(state.keys, state.values, strict=True)]
        state.keys, state.values = [], []
        state.prefix_length = state.length
        return state, logprobs

    def step(self, state: DecoderState, tokens: np.ndarray) -> np.ndarray:
        """Feed ``tokens`` [beams, n] after what the state holds; returns log-probabilities of
        the next token after each position over ``self.vocabulary`` ([beams, n, len]; a
        token's column is ``self.column[token]``). Updates the caches."""
        beams, n = tokens.shape
        return log_softmax(self._forward(state, tokens) @ self.projection).reshape(beams, n, -1)

    def _forward(self, state: DecoderState, tokens: np.ndarray) -> np.ndarray:
        """The decoder's output states [beams * n, dim] for ``tokens`` [beams, n].

        Keys every beam shares (the audio's, the prefix's) are multiplied heads-first, one
        GEMM per head for all beams, not one tiny product per beam and head."""
        beams, n = tokens.shape
        if state.length + n > self.max_tokens:
            raise ValueError("Whisper reads at most 448 tokens")
        rows = beams * n
        heads, head_dim = self.heads, self.head_dim
        # activations stay 2-D [beams * n, dim]: numpy runs one GEMM instead of a loop
        x = (self._embed(tokens)
             + self.positions[state.length:state.length + n]).reshape(rows, self.dim)
        scale = head_dim ** -0.5
        own = state.length - state.prefix_length  # this beam's tokens before these
        causal = None
        if n > 1:
            causal = np.triu(np.full((n, own + n), -np.inf, np.float32), own + 1)

        def heads_first(y: np.ndarray) -> np.ndarray:  # [rows, dim] -> [heads, rows, hd]
            return y.reshape(rows, heads, head_dim).transpose(1, 0, 2)

        def heads_last(y: np.ndarray) -> np.ndarray:  # [heads, rows, hd] -> [rows, dim]
            return y.transpose(1, 0, 2).reshape(rows, self.dim)

        for i, layer in enumerate(self.layers):
            h = _layer_norm(x, *layer.self_ln)
            qkv = h @ layer.self_qkv[0] + layer.self_qkv[1]
            q = qkv[:, :self.dim] * scale
            k = self._split(qkv[:, self.dim:2 * self.dim].reshape(beams, n, self.dim))
            v = self._split(qkv[:, 2 * self.dim:].reshape(beams, n, self.dim))
            if len(state.keys) > i:  # this beam's earlier tokens
                k = np.concatenate([state.keys[i], k], axis=2)
                v = np.concatenate([state.values[i], v], axis=2)
                state.keys[i], state.values[i] = k, v
            else:
                state.keys.append(k)
                state.values.append(v)
            q_beams = self._split(q.reshape(beams, n, self.dim))  # [beams, heads, n, hd]
            scores = q_beams @ k.swapaxes(-1, -2)  # [beams, heads, n, own tokens]
            if causal is not None:
                scores += causal
            if state.prefix:  # the shared prefix, read by every beam without copying it
                prefix_keys_t, prefix_values = state.prefix[i]
                prefix_scores = heads_first(q) @ prefix_keys_t  # [heads, rows, prefix]
                scores = scores.transpose(1, 0, 2, 3).reshape(heads, rows, -1)
                top = np.maximum(prefix_scores.max(-1, keepdims=True),
                                 scores.max(-1, keepdims=True))
                ep, eb = np.exp(prefix_scores - top), np.exp(scores - top)
                total = ep.sum(-1, keepdims=True) + eb.sum(-1, keepdims=True)
                eb = eb.reshape(heads, beams, n, -1).transpose(1, 0, 2, 3)
                own_part = (eb @ v).transpose(1, 0, 2, 3).reshape(heads, rows, head_dim)
                attn = heads_last((ep @ prefix_values + own_part) / total)
            else:
                attn = self._merge(_softmax(scores) @ v)
            x = x + attn @ layer.self_out[0] + layer.self_out[1]

            h = _layer_norm(x, *layer.cross_ln)
            q = heads_first((h @ layer.cross_q[0] + layer.cross_q[1]) * scale)
            cross_keys_t, cross_values = state.cross[i]
            attn = heads_last(_softmax(q @ cross_keys_t) @ cross_values)
            x = x + attn @ layer.cross_out[0] + layer.cross_out[1]

            h = _layer_norm(x, *layer.ffn_ln)
            h = _gelu(h @ layer.ffn_in[0] + layer.ffn_in[1])
            x = x + h @ layer.ffn_out[0] + layer.ffn_out[1]
        state.length += n
        return _layer_norm(x, *self.final_ln)

    def _merge(self, x: np.ndarray) -> np.ndarray:
        """[beams, heads, tokens, head_dim] -> [beams * tokens, dim]"""
        return x.swapaxes(1, 2).reshape(-1, self.dim)

    def score(self, state: DecoderState, tokens: list[int]) -> float:
        """Log-probability of ``tokens`` right after the prefix of ``state`` (teacher forcing,
        one pass). A token outside the vocabulary in use adds its own logit to the
        normaliser."""
        return self.score_many(state, [tokens])[0]

    def score_many(self, state: DecoderState, sequences: list[list[int]]) -> list[float]:
        """``score`` of each sequence, all in one pass: shorter ones are padded at the end,
        which the causal attention keeps from the positions before."""
        if not sequences:
            return []
        if len(sequences) > SCORED_AT_ONCE:  # the logits of 60 sequences held 150 MB at once
            return [score for start in range(0, len(sequences), SCORED_AT_ONCE)
                    for score in self.score_many(state, sequences[start:start + SCORED_AT_ONCE])]
        longest = max(len(tokens) for tokens in sequences)
        if longest == 0:
            return [0.0] * len(sequences)
        hidden = np.repeat(state.last_hidden[None], len(sequences), axis=0)  # [n, 1, dim]
        if longest > 1:
            padded = np.array([[*tokens[:-1], *[0] * (longest - 1 - len(tokens[:-1]))]
                               for tokens in sequences])
            forked = state.fork()
            own = self._forward(forked, padded).reshape(len(sequences), longest - 1, self.dim)
            hidden = np.concatenate([hidden, own], axis=1)
        logits = hidden @ self.projection  # [n, longest, vocabulary]
        top = logits.max(-1, keepdims=True)
        log_z = (top + np.log(np.exp(logits - top).sum(-1, keepdims=True)))[..., 0]
        totals = []
        for i, tokens in enumerate(sequences):
            total = 0.0
            for row, token in enumerate(tokens):
                column = self.column[token]
                if column >= 0:
                    total += float(logits[i, row, column] - log_z[i, row])
                else:
                    logit = float(hidden[i, row] @ self.embeddings[token].astype(np.float32))
                    total += logit - float(np.logaddexp(log_z[i, row], logit))
            totals.append(total)
        return totals
