"""A small back-off trigram language model in ARPA format, built from the sentences a grammar
can say: what pocketsphinx decodes with instead of a JSGF grammar.

A finite-state grammar of the whole catalogue made pocketsphinx slow (seconds per command,
its search pruned to nothing on noise) and brittle; an n-gram model of the same sentences
keeps it fast and lets it recover from a misheard word, and the intent engine checks the
result anyway. Absolute discounting, interpolated, written as back-off weights.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

Gram = tuple[str, ...]


def build_arpa(sentences: Iterable[str], order: int = 3, discount: float = 0.5,
               unigram_floor: float = 0.1) -> str:
    counts: list[Counter[Gram]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        words = ["<s>", *sentence.split(), "</s>"]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram != ("<s>",):
                    counts[n][gram] += 1
    vocabulary = sorted({w for (w,) in counts[1]} | {"<s>"})
    total = sum(counts[1].values())
    prob: list[dict[Gram, float]] = [{} for _ in range(order + 1)]
    backoff: list[dict[Gram, float]] = [{} for _ in range(order + 1)]
    for word in vocabulary:  # every word keeps a little mass, even one seen once
        prob[1][(word,)] = (counts[1].get((word,), 0) + unigram_floor) / (
            total + unigram_floor * len(vocabulary))

    def lower(gram: Gram) -> float:
        """p(gram's last word | its context) from the model built so far, backing off."""
        if gram in prob[len(gram)]:
            return prob[len(gram)][gram]
        if len(gram) == 1:
            return 1e-7
        return backoff[len(gram) - 1].get(gram[:-1], 1.0) * lower(gram[1:])

    for n in range(2, order + 1):
        context_total: Counter[Gram] = Counter()
        followers: dict[Gram, int] = defaultdict(int)
        for gram, count in counts[n].items():
            context_total[gram[:-1]] += count
            followers[gram[:-1]] += 1
        for gram, count in counts[n].items():
            context = gram[:-1]
            left_over = discount * followers[context] / context_total[context]
            prob[n][gram] = (count - discount) / context_total[context] + left_over * lower(
                gram[1:])
        seen: dict[Gram, list[Gram]] = defaultdict(list)
        for gram in prob[n]:
            seen[gram[:-1]].append(gram)
        for context, grams in seen.items():
            kept = 1 - sum(prob[n][g] for g in grams)
            lower_kept = 1 - sum(lower(g[1:]) for g in grams)
            backoff[n - 1][context] = max(kept, 1e-9) / max(lower_kept, 1e-9)

    lines = ["\\data\\", *(f"ngram {n}={len(prob[n])}" for n in range(1, order + 1)), ""]
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram, p in sorted(prob[n].items()):
            logp = -99.0 if gram == ("<s>",) else math.log10(p)
            line = f"{logp:.5f} {' '.join(gram)}"
            if n < order and gram in backoff[n]:
                line += f" {math.log10(backoff[n][gram]):.5f}"
            lines.append(line)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"
