"""Files that appear whole or not at all: written under a temporary name, then renamed.

A full disk, a missing permission or a kill part-way leaves the target as it was (absent, or
its previous version) and no temporary file behind; the failure is a one-line
:class:`~ionflux.errors.OutputError` naming the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ionflux.errors import OutputError


@contextmanager
def atomic_output(path: str | Path, mode: str = "wb", **open_kwargs: Any) -> Iterator[IO]:
    """A file object on a temporary file next to ``path``, renamed onto ``path`` (after an
    fsync) when the block ends without an error; on any error the temporary is removed.

    An OSError (in the block or while finishing) becomes a one-line OutputError.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _output_error(path, exc) from None
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a new file gets the usual
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _output_error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output`; return the path."""
    with atomic_output(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def _output_error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return OutputError(f"cannot write {path}: {reason}; nothing was written")


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
