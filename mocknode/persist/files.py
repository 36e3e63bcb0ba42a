"""State documents as bytes and files: JSON (gzipped for ``anvil_dumpState``), written
atomically.

A file is replaced, never rewritten in place: the bytes go to a temporary file beside
it, are flushed and fsynced, and the temporary file is renamed over the old one (then
the directory is fsynced, so the rename itself survives a power cut). A process killed
at any moment therefore leaves either the previous complete file or the new complete
file, never a mix; all it can leave behind is a stray temporary file
(``.NAME.*.tmp``), which :func:`remove_stale_temporaries` clears when a node next takes
the path.

Files are plain JSON, as anvil's ``--dump-state`` writes them; anything read (a file or
``anvil_loadState``'s bytes) may be gzipped too, recognised by gzip's magic number.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import json
import os
import tempfile
from typing import Any

from mocknode.chain.chain import Chain
from mocknode.persist.document import load_document, state_document
from mocknode.persist.errors import StateFileError

_GZIP_MAGIC = b"\x1f\x8b"

PathLike = str | os.PathLike[str]


def encode_document(document: dict[str, Any], *, compress: bool = False) -> bytes:
    data = json.dumps(document, separators=(",", ":")).encode()
    # Level 6 (gzip's own default): a tenth of the size for a few ms per megabyte.
    return gzip.compress(data, compresslevel=6, mtime=0) if compress else data


def decode_document(data: bytes) -> Any:
    """The JSON document in ``data`` (gzipped or not)."""
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise StateFileError(f"not a mocknode state: bad gzip data ({exc})") from None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateFileError(f"not a mocknode state: not JSON ({exc})") from None


def write_atomic(path: PathLike, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` so that a crash at any point leaves the
    old file or the new one, whole (see the module docstring)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as out:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temporary, os.stat(path).st_mode & 0o777)  # keep the file's mode
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform that cannot open directories
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a directory
            os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(path: PathLike) -> list[str]:
    """Remove what a writer killed mid-write left beside ``path``; returns the paths.
    Only for the one node that writes ``path``: another writer's file in progress would
    go too."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = os.path.join(glob.escape(directory), f".{glob.escape(os.path.basename(path))}.*.tmp")
    removed = []
    for stale in glob.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
            removed.append(stale)
    return removed


def read_state_file(path: PathLike) -> Any:
    """The document in the state file at ``path``; :class:`StateFileError` (naming the
    file) when it is not one, ``OSError`` when it cannot be read."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return decode_document(data)
    except StateFileError as exc:
        raise StateFileError(f"{os.fspath(path)}: {exc}") from None


def save_state(chain: Chain, path: PathLike) -> None:
    """Write ``chain`` to ``path`` (atomically), now, on the calling thread."""
    write_atomic(path, encode_document(state_document(chain)))


def load_state(chain: Chain, path: PathLike) -> None:
    """Make ``chain`` the one saved at ``path`` (all or nothing)."""
    document = read_state_file(path)
    try:
        load_document(chain, document)
    except StateFileError as exc:
        raise StateFileError(f"{os.fspath(path)}: {exc}") from None
