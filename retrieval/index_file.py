"""A single-file, versioned container for named numpy arrays plus a JSON header, loaded into private memory.

Layout (all integers little-endian)::

    prefix   magic b"CITEBOT\\x00" | format version u32 | header length u64 | header CRC-32 u32
    header   UTF-8 JSON: {"header": <caller's header>, "arrays": {name: {dtype, shape, offset, nbytes}},
             "file_size": int, "data_offset": int, "data_crc32": int}
    data     every array at a 64-byte aligned offset, zero padding between them

The header has its own CRC so a flipped bit there is caught before it is parsed; the data CRC-32 covers every
byte after the header (zlib.crc32 runs at several GB/s, so even a 1M-passage index verifies in well under a
second).  Anything unexpected raises `IndexFileError`: an index is a cache, so the caller rebuilds it rather
than trusting a damaged file.

Loading reads the whole file into memory the process owns and verifies that copy, rather than memory-mapping the
file: a mapped file that someone truncates or copies over kills the reader with SIGBUS, or silently changes the
text quotes are cut from. A private copy costs the index's size in RAM per process and cannot change under it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import struct
import tempfile
import zlib
from collections.abc import Mapping
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

FORMAT_VERSION = 1

_MAGIC = b"CITEBOT\x00"
_PREFIX = struct.Struct("<8sIQI")
_ALIGNMENT = 64
_CHUNK = 1 << 24  # checksum and write in 16 MiB pieces: no big temporary copies
_MAX_HEADER_BYTES = 64 << 20
# Only plain numeric and fixed-width byte/str dtypes: an object dtype would unpickle untrusted data.
_ALLOWED_KINDS = frozenset("biufcSU")


class IndexFileError(Exception):
    """The file is missing, truncated, corrupt, foreign or from another format version: rebuild it."""


class NotAnIndexError(Exception):
    """The index path holds something citebot did not write (a notes file, a FIFO, a device): never touch it."""


def check_index_path(path: Path) -> None:
    """Refuse an index path that exists and is not a regular file holding a citebot index.

    An index is a cache citebot may rebuild at will, so it must never replace anything else: a mistyped
    `index_path` pointing at the config, a notes file or /dev/sda is refused, not overwritten. A FIFO or device
    is refused before it is opened, so reading it cannot hang either."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there to lose; whether it can be written is found out when saving
    except OSError as error:
        raise NotAnIndexError(f"index path {path}: cannot check it ({error.strerror or error})") from None
    if not stat.S_ISREG(status.st_mode):
        raise NotAnIndexError(f"index path {path} is not a regular file; citebot only writes its own index files")
    if status.st_size == 0:
        return  # an empty file holds nothing to lose (a crashed first write, `touch`)
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(_MAGIC))
    except OSError as error:
        raise NotAnIndexError(f"index path {path}: cannot read it ({error.strerror or error})") from None
    if magic != _MAGIC:
        raise NotAnIndexError(
            f"index path {path} holds a file that is not a citebot index; choose another [corpus] index_path"
        )


def write_index_file(path: Path, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write atomically (temporary file in the same directory, then os.replace); creates parent directories.

    No fsync: after a crash a half-written file fails its checksum and is rebuilt, which is all a cache needs.
    """
    check_index_path(path)
    contiguous = {name: _checked_array(name, array) for name, array in arrays.items()}
    layout: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in contiguous.items():
        offset = _aligned(offset)
        layout[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "offset": offset,
            "nbytes": array.nbytes,
        }
        offset += array.nbytes
    data_size = offset

    data_crc = 0
    end = 0
    for name, array in contiguous.items():
        data_crc = zlib.crc32(bytes(layout[name]["offset"] - end), data_crc)  # the padding
        data_crc = _crc32_of(_bytes_view(array), data_crc)
        end = layout[name]["offset"] + array.nbytes

    header_bytes, data_offset = _encode_header(header, layout, data_size, data_crc)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_temporaries(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_PREFIX.pack(_MAGIC, FORMAT_VERSION, len(header_bytes), zlib.crc32(header_bytes)))
            out.write(header_bytes)
            out.write(bytes(data_offset - _PREFIX.size - len(header_bytes)))
            written = 0
            for name, array in contiguous.items():
                out.write(bytes(layout[name]["offset"] - written))
                _write_chunked(out, _bytes_view(array))
                written = layout[name]["offset"] + array.nbytes
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_abandoned_temporaries(path: Path) -> None:
    """Temporary files of writers that were killed mid-write (their process is gone): clean them up."""
    for temporary in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid = temporary.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            with contextlib.suppress(OSError):
                temporary.unlink()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_index_header(path: Path) -> dict[str, Any]:
    """Only the caller's header (cheap: the arrays are neither read nor verified)."""
    with _open(path) as handle:
        name, size = str(path), _file_size(handle)
        header_length, header_crc = _parse_prefix(handle.read(_PREFIX.size), size, name)
        meta = _parse_header(handle.read(header_length), header_crc, size, name)
        return dict(meta["header"])


def read_index_file(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The caller's header and the arrays (read-only views of one private copy), after verifying every byte.

    Header and data are parsed from the same copy, so a file rewritten while it is read fails its checksum
    instead of pairing one version's header with another's data."""
    with _open(path) as handle:
        content = _read_all(handle, _file_size(handle), str(path))
    name, size = str(path), len(content)
    with content.data as view:
        header_length, header_crc = _parse_prefix(bytes(view[: _PREFIX.size]), size, name)
        header_bytes = bytes(view[_PREFIX.size : _PREFIX.size + header_length])
        meta = _parse_header(header_bytes, header_crc, size, name)
        data_offset: int = meta["data_offset"]
        if _crc32_of(view[data_offset:], 0) != meta["data_crc32"]:
            raise IndexFileError(f"{name}: data checksum mismatch (corrupt file)")
    content.flags.writeable = False
    arrays: dict[str, np.ndarray] = {}
    for array_name, spec in meta["arrays"].items():
        dtype = np.dtype(spec["dtype"])
        shape = tuple(spec["shape"])
        start = data_offset + spec["offset"]
        array = content[start : start + spec["nbytes"]].view(dtype).reshape(shape)
        arrays[array_name] = array
    return dict(meta["header"]), arrays


def _read_all(handle: io.BufferedReader, size: int, name: str) -> npt.NDArray[np.uint8]:
    """The file's bytes, read in pieces straight into one 64-byte aligned buffer (no second copy)."""
    spare = np.empty(size + _ALIGNMENT, dtype=np.uint8)
    skip = -spare.ctypes.data % _ALIGNMENT
    content = spare[skip : skip + size]
    with content.data as view:
        filled = 0
        while filled < size:
            try:
                got = handle.readinto(view[filled : filled + _CHUNK])
            except OSError as error:
                raise IndexFileError(f"{name}: cannot read: {error.strerror or error}") from error
            if not got:
                raise IndexFileError(f"{name}: truncated while being read")
            filled += got
    return content


def _checked_array(name: str, array: np.ndarray) -> np.ndarray:
    if not isinstance(name, str) or not name:
        raise ValueError(f"array names must be non-empty strings, got {name!r}")
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise ValueError(f"array {name!r}: dtype {array.dtype} cannot be stored (numeric/fixed-width only)")
    return np.ascontiguousarray(array)


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGNMENT) * _ALIGNMENT


def _bytes_view(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1).view(np.uint8).data) if array.size else memoryview(b"")


def _crc32_of(view: memoryview, crc: int) -> int:
    for start in range(0, len(view), _CHUNK):
        crc = zlib.crc32(view[start : start + _CHUNK], crc)
    return crc


def _write_chunked(out: BinaryIO, view: memoryview) -> None:
    for start in range(0, len(view), _CHUNK):
        out.write(view[start : start + _CHUNK])


def _encode_header(
    header: Mapping[str, Any], layout: Mapping[str, Any], data_size: int, data_crc: int
) -> tuple[bytes, int]:
    """The JSON header and where the data starts; data_offset and file_size are inside the header itself."""
    meta: dict[str, Any] = {"header": dict(header), "arrays": layout, "data_crc32": data_crc}
    data_offset = 0
    while True:
        meta["data_offset"] = data_offset
        meta["file_size"] = data_offset + data_size
        encoded = json.dumps(meta, sort_keys=True, allow_nan=False, separators=(",", ":")).encode()
        needed = _aligned(_PREFIX.size + len(encoded))
        if needed == data_offset:
            return encoded, data_offset
        data_offset = needed


def _open(path: Path) -> io.BufferedReader:
    try:
        return path.open("rb")
    except OSError as error:
        raise IndexFileError(f"{path}: cannot open: {error.strerror or error}") from error


def _file_size(handle: BinaryIO) -> int:
    return os.fstat(handle.fileno()).st_size


def _parse_prefix(prefix: bytes, size: int, name: str) -> tuple[int, int]:
    """The header's length and CRC, after checking magic, version and that the header fits in the file."""
    if len(prefix) < _PREFIX.size:
        raise IndexFileError(f"{name}: truncated (no header)")
    magic, version, header_length, header_crc = _PREFIX.unpack(prefix)
    if magic != _MAGIC:
        raise IndexFileError(f"{name}: not a citebot index file")
    if version != FORMAT_VERSION:
        raise IndexFileError(f"{name}: index format version {version}, this citebot reads {FORMAT_VERSION}")
    if header_length > min(_MAX_HEADER_BYTES, size - _PREFIX.size):
        raise IndexFileError(f"{name}: truncated (header)")
    return int(header_length), int(header_crc)


def _parse_header(header_bytes: bytes, header_crc: int, size: int, name: str) -> dict[str, Any]:
    """The parsed, structurally validated header; raises IndexFileError before trusting any field."""
    if zlib.crc32(header_bytes) != header_crc:
        raise IndexFileError(f"{name}: header checksum mismatch (corrupt file)")
    try:
        meta = json.loads(header_bytes)
        _validate_meta(meta, size, _PREFIX.size + len(header_bytes))
    except (ValueError, TypeError, KeyError) as error:
        raise IndexFileError(f"{name}: malformed header: {error}") from error
    return dict(meta)


def _validate_meta(meta: Any, size: int, header_end: int) -> None:
    if not isinstance(meta, dict) or not isinstance(meta["header"], dict):
        raise ValueError("header is not an object")
    file_size, data_offset, crc = meta["file_size"], meta["data_offset"], meta["data_crc32"]
    if not all(type(value) is int for value in (file_size, data_offset, crc)):
        raise ValueError("sizes are not integers")
    if file_size != size:
        raise ValueError(f"file is {size} bytes, header says {file_size} (truncated or extended)")
    if not header_end <= data_offset <= size:
        raise ValueError("data offset outside the file")
    arrays = meta["arrays"]
    if not isinstance(arrays, dict):
        raise ValueError("arrays is not an object")
    for array_name, spec in arrays.items():
        dtype = np.dtype(spec["dtype"])
        shape, offset, nbytes = spec["shape"], spec["offset"], spec["nbytes"]
        if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject:
            raise ValueError(f"array {array_name!r}: dtype {dtype} not allowed")
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError(f"array {array_name!r}: bad shape")
        if type(offset) is not int or type(nbytes) is not int or offset < 0 or offset % dtype.alignment:
            raise ValueError(f"array {array_name!r}: bad offset")
        if nbytes != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ValueError(f"array {array_name!r}: size does not match shape")
        if data_offset + offset + nbytes > size:
            raise ValueError(f"array {array_name!r}: outside the file")
