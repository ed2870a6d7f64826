"""The index file: a versioned, checksummed container that is never trusted when damaged."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from retrieval.index_file import (
    FORMAT_VERSION,
    IndexFileError,
    read_index_file,
    read_index_header,
    write_index_file,
)

HEADER = {"corpus_key": "abc123", "settings": {"k1": 1.5, "b": 0.75}, "documents": ["a.txt", "b.md"]}


def sample_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "weights": rng.random(1000),
        "ids": np.arange(333, dtype=np.int32),
        "codes": rng.integers(0, 60000, size=(10, 7), dtype=np.uint16),
        "blob": np.frombuffer("naïve café".encode(), dtype=np.uint8),
        "empty": np.zeros(0, dtype=np.int64),
    }


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "nested" / "index.bin"
    write_index_file(path, HEADER, sample_arrays())
    return path


def test_round_trip_returns_header_and_equal_arrays(index_path: Path) -> None:
    header, arrays = read_index_file(index_path)
    assert header == HEADER
    expected = sample_arrays()
    assert arrays.keys() == expected.keys()
    for name, array in expected.items():
        assert arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(arrays[name], array)


def test_arrays_are_read_only(index_path: Path) -> None:
    _, arrays = read_index_file(index_path)
    assert not arrays["weights"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arrays["weights"][0] = 1.0


def test_arrays_start_at_64_byte_aligned_offsets(index_path: Path) -> None:
    _, arrays = read_index_file(index_path)
    for name, array in arrays.items():
        if array.size:
            assert array.ctypes.data % 64 == 0, name


def test_header_is_read_alone(index_path: Path) -> None:
    assert read_index_header(index_path) == HEADER


def test_header_alone_does_not_verify_the_data(index_path: Path) -> None:
    """Reading the header is the cheap check before a load; damage in the arrays is found by the full read."""
    flip_byte(index_path, index_path.stat().st_size - 3)
    assert read_index_header(index_path) == HEADER
    with pytest.raises(IndexFileError, match="checksum"):
        read_index_file(index_path)


def test_writing_creates_parent_directories_and_leaves_no_temporary_files(index_path: Path) -> None:
    assert sorted(p.name for p in index_path.parent.iterdir()) == ["index.bin"]


def test_rewriting_replaces_the_old_file(index_path: Path) -> None:
    write_index_file(index_path, {"corpus_key": "new"}, {"x": np.ones(3)})
    header, arrays = read_index_file(index_path)
    assert header == {"corpus_key": "new"}
    assert list(arrays) == ["x"]


def test_file_without_arrays_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "index.bin"
    write_index_file(path, {"only": "header"}, {})
    assert read_index_file(path) == ({"only": "header"}, {})


@pytest.mark.parametrize("keep", [0, 5, 30, 200, -1])
def test_truncated_file_is_rejected(index_path: Path, keep: int) -> None:
    data = index_path.read_bytes()
    index_path.write_bytes(data[:keep])
    with pytest.raises(IndexFileError):
        read_index_file(index_path)
    with pytest.raises(IndexFileError):
        read_index_header(index_path)


def test_extended_file_is_rejected(index_path: Path) -> None:
    with index_path.open("ab") as out:
        out.write(b"\0" * 64)
    with pytest.raises(IndexFileError, match="truncated or extended"):
        read_index_file(index_path)


@pytest.mark.parametrize("position", [25, 100, -1, -4000, -8000])
def test_flipped_byte_anywhere_is_rejected(index_path: Path, position: int) -> None:
    flip_byte(index_path, position % index_path.stat().st_size)
    with pytest.raises(IndexFileError):
        read_index_file(index_path)


def test_flipped_byte_in_padding_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "index.bin"
    write_index_file(path, {}, {"a": np.ones(1, dtype=np.uint8), "b": np.ones(1, dtype=np.uint8)})
    flip_byte(path, path.stat().st_size - 2)  # between a's single byte and b, 64 bytes later
    with pytest.raises(IndexFileError, match="checksum"):
        read_index_file(path)


def test_wrong_magic_is_rejected(index_path: Path) -> None:
    data = bytearray(index_path.read_bytes())
    data[:8] = b"PK\x03\x04\0\0\0\0"
    index_path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="not a citebot index"):
        read_index_file(index_path)


def test_other_format_version_is_rejected(index_path: Path) -> None:
    data = bytearray(index_path.read_bytes())
    data[8:12] = struct.pack("<I", FORMAT_VERSION - 1)
    index_path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="version"):
        read_index_header(index_path)


def test_missing_file_is_an_index_file_error(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="cannot open"):
        read_index_header(tmp_path / "nope.bin")


def test_object_arrays_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        write_index_file(tmp_path / "index.bin", {}, {"bad": np.array([object()])})


def flip_byte(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x10
    path.write_bytes(bytes(data))
