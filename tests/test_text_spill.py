"""While a large index is built, the documents' texts wait in an unnamed temporary file, not in memory.

The file must give back exactly what was written, refuse a text that is not where its offsets say, and leave
nothing on disk: it never has a name, so not even a crash can leave it behind.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from retrieval.text_spill import TextSpill

TEXTS = ["Nadella said", " – efficiency ", "", "DeepSeek’s R1"]


def _offsets(texts: list[str]) -> np.ndarray:
    return np.cumsum([0, *(len(text.encode("utf-8")) for text in texts)], dtype=np.int64)


def test_the_texts_come_back_as_one_utf8_array_in_document_order() -> None:
    spill = TextSpill(_offsets(TEXTS))
    for doc_id, text in enumerate(TEXTS):
        spill.append(doc_id, text)

    blob = spill.read_back()

    assert blob.dtype == np.uint8
    assert blob.tobytes().decode("utf-8") == "".join(TEXTS)


def test_the_file_never_has_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spill = TextSpill(_offsets(TEXTS))
    spill.append(0, TEXTS[0])

    assert list(tmp_path.iterdir()) == []
    spill.close()
    assert list(tmp_path.iterdir()) == []


def test_a_text_not_where_its_offsets_put_it_is_refused() -> None:
    spill = TextSpill(_offsets(TEXTS))
    spill.append(0, TEXTS[0])

    with pytest.raises(ValueError, match="document 2"):
        spill.append(2, TEXTS[2])  # document 1 was skipped
    with pytest.raises(ValueError, match="document 1"):
        spill.append(1, TEXTS[1] + "!")  # longer than its offsets allow
    spill.close()


def test_reading_back_before_every_text_is_written_is_refused() -> None:
    spill = TextSpill(_offsets(TEXTS))
    spill.append(0, TEXTS[0])

    with pytest.raises(ValueError, match="expected"):
        spill.read_back()
    spill.close()
