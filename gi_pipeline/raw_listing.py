"""The raw directory as evidence: which files are there, and which parts could not be looked at.

A file missing from a listing is *deleted* only if the listing could see where it was: a directory that
cannot be opened (permissions, an I/O error, a stale mount) hides its files without removing them, so
``list_raw`` returns those errors next to the files instead of skipping them (``removals`` then keeps
the facts of the files it cannot see).  A raw root that is missing, not a directory or empty is an
error of its own (``RawRootError``): an unmounted share looks exactly like that.

File names are bytes on Linux and need not be UTF-8.  Each file is named by its ``source_file``: the
path relative to the raw root, '/'-separated, as text, escaped so that every name is printable, fits
a Parquet string and maps back to its exact bytes:

* a byte that is not part of valid UTF-8 is written ``\\xNN`` (two lowercase hex digits);
* a control character (bytes 0x00-0x1f, 0x7f) is written ``\\xNN`` too;
* a backslash is written ``\\\\`` (so the two escapes above are never ambiguous);
* everything else is the name's own UTF-8 text.

``source_file_of(b"2021/\\xb1\\xa8\\xb8\\xe6.pdf")`` is ``"2021/\\\\xb1\\\\xa8\\\\xb8\\\\xe6.pdf"`` (a GBK name on a
UTF-8 system) and ``raw_name_of`` gives the bytes back.  Names that are valid UTF-8 without control
characters or backslashes -- all real ones seen so far -- are unchanged.

Pure library: file-system reads only, no Dagster.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f\udc80-\udcff]")
_ESCAPED = re.compile(r"\\(\\|x[0-9a-f]{2})")


def _escape(m: re.Match[str]) -> str:
    char = m.group(0)
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code - 0xDC00 if code >= 0xDC00 else code:02x}"  # surrogateescape keeps byte NN as U+DCNN


def _unescape(m: re.Match[str]) -> str:
    found = m.group(1)
    if found == "\\":
        return "\\"
    byte = int(found[1:], 16)
    return chr(0xDC00 + byte if byte >= 0x80 else byte)


def source_file_of(relative: bytes) -> str:
    """The printable ``source_file`` of a path relative to the raw root, given as bytes (module docs)."""
    return _NEEDS_ESCAPE.sub(_escape, relative.decode("utf-8", "surrogateescape"))


def raw_name_of(source_file: str) -> bytes:
    """The relative path bytes a ``source_file`` names (inverse of ``source_file_of``)."""
    return _ESCAPED.sub(_unescape, source_file).encode("utf-8", "surrogateescape")


def raw_path(raw_dir: str | os.PathLike, source_file: str) -> bytes:
    """The file ``source_file`` names under ``raw_dir``, as a bytes path (``open`` and ``os`` take it)."""
    return os.path.join(os.fsencode(raw_dir), raw_name_of(source_file))


def read_raw(raw_dir: str | os.PathLike, source_file: str) -> bytes:
    """The bytes of the raw file ``source_file`` names under ``raw_dir``."""
    with open(raw_path(raw_dir, source_file), "rb") as f:
        return f.read()


class RawRootError(OSError):
    """The raw root itself cannot serve as evidence: missing, not a directory, unreadable or empty."""


class EmptyRawRoot(RawRootError):
    """The raw root exists but holds no file (an unmounted share looks like this)."""


@dataclass(frozen=True)
class ListingError:
    """A part of the raw tree that could not be looked at: its files are unknown, not deleted."""

    source_file: str  # the directory's or file's path, escaped like a source_file
    error: str  # "PermissionError: [Errno 13] Permission denied: ..."

    def covers(self, source_file: str) -> bool:
        """True when ``source_file`` is this path or lies under it."""
        return source_file == self.source_file or source_file.startswith(self.source_file + "/")


@dataclass(frozen=True)
class RawListing:
    files: tuple[str, ...]  # source_file of every regular file, sorted
    errors: tuple[ListingError, ...]  # what could not be listed, sorted by path


def _error(relative: bytes, exc: OSError) -> ListingError:
    return ListingError(source_file_of(relative), f"{type(exc).__name__}: {exc}")


def _scan(directory: bytes, relative: bytes, files: list[str], errors: list[ListingError]) -> None:
    """Files under ``directory`` (whose path relative to the root is ``relative``) into ``files``; every
    directory or entry that fails into ``errors``.  Hidden names (leading '.') are skipped; symlinked
    directories are not followed (as ``os.walk``), symlinked files are (a dangling one is an error)."""
    subdirs: list[tuple[bytes, bytes]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:  # iterating may fail midway (I/O error): what was seen is kept
                if entry.name.startswith(b"."):
                    continue
                rel = relative + b"/" + entry.name if relative else entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append((entry.path, rel))
                    elif entry.is_symlink():
                        if entry.is_file():
                            files.append(source_file_of(rel))
                        else:
                            os.stat(entry.path)  # raises for a dangling link; a link to a directory is skipped
                    elif entry.is_file(follow_symlinks=False):
                        files.append(source_file_of(rel))
                except OSError as exc:
                    errors.append(_error(rel, exc))
    except OSError as exc:
        errors.append(_error(relative, exc))
    for path, rel in subdirs:
        _scan(path, rel, files, errors)


def list_raw(raw_dir: str | os.PathLike) -> RawListing:
    """Every regular file under ``raw_dir`` (recursively, hidden names skipped) and every part of the tree
    that could not be listed.  Raises ``RawRootError`` when the root is missing, not a directory or
    cannot be listed, ``EmptyRawRoot`` when it lists no file and no error."""
    root = os.fsencode(raw_dir)
    shown = Path(os.fsdecode(root))
    try:
        if not os.path.isdir(root):
            if os.path.exists(root):
                raise RawRootError(f"raw directory {shown} is not a directory")
            raise RawRootError(f"raw directory {shown} does not exist (not mounted?)")
        with os.scandir(root):
            pass
    except RawRootError:
        raise
    except OSError as exc:
        raise RawRootError(f"raw directory {shown} cannot be listed: {type(exc).__name__}: {exc}") from exc
    files: list[str] = []
    errors: list[ListingError] = []
    _scan(root, b"", files, errors)
    if not files and not errors:
        raise EmptyRawRoot(f"raw directory {shown} holds no file (not mounted?)")
    return RawListing(tuple(sorted(files)), tuple(sorted(errors, key=lambda e: e.source_file)))
