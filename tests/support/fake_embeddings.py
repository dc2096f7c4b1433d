"""Deterministic embeddings with real signal for tests: a bag of known words, normalized."""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

VOCAB = (
    "cat dog fish bird pet animal car truck road engine wheel drive python java code program bug test "
    "apple pear fruit food cook eat music song guitar piano sing"
).split()


def word_vector(text: str, vocab: tuple[str, ...] | list[str] = VOCAB) -> list[float]:
    """Counts of vocabulary words; words outside the vocabulary carry no signal at all."""
    words = re.findall(r"[a-z]+", text.lower())
    vec = [float(words.count(w)) for w in vocab] + [0.05]
    norm = sum(x * x for x in vec) ** 0.5
    return [x / norm for x in vec]


class WordEmbeddings(Embeddings):
    """LangChain `Embeddings` over `word_vector` (also usable as one of our Embedders)."""

    dimension = len(VOCAB) + 1

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [word_vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return word_vector(text)
