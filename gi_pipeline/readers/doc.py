"""Legacy Word (.doc, .wps), RTF and ODT: converted to DOCX by LibreOffice when it is installed.

Pure-Python .doc readers (antiword, olefile text scraping) lose the tables, which are what we read; a
converter that keeps them is worth the dependency where it exists, and without it the file is quarantined
with a reason that says what to install rather than parsed badly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .errors import Unreadable

CONVERT_TIMEOUT_S = 120


def no_converter(suffix: str = "doc") -> str:
    return f"legacy .{suffix}: no converter (install LibreOffice)"


def converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(raw: bytes, suffix: str = "doc") -> bytes:
    """The file converted by ``soffice --headless --convert-to docx`` in a private temp dir (its own
    profile, so parallel runs do not fight over one), killed with its children after the timeout."""
    soffice = converter()
    if soffice is None:
        raise Unreadable(no_converter(suffix))
    with tempfile.TemporaryDirectory(prefix="gi-doc-") as tmp:
        src = Path(tmp) / f"input.{suffix}"  # never the source name: odd characters stay out of argv
        src.write_bytes(raw)
        out = Path(tmp) / "out"
        out.mkdir()
        profile = Path(tmp, "profile").as_uri()
        cmd = [soffice, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile}",
               "--convert-to", "docx", "--outdir", str(out), str(src)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=CONVERT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # soffice forks soffice.bin: kill the whole group
            proc.communicate()
            raise Unreadable(f"legacy .{suffix}: LibreOffice timed out after {CONVERT_TIMEOUT_S} s") from None
        result = out / "input.docx"
        if not result.is_file():
            tail = err.decode("utf-8", "replace").strip()[-200:] or f"exit {proc.returncode}"
            raise Unreadable(f"legacy .{suffix}: LibreOffice could not convert it ({tail})")
        return result.read_bytes()
