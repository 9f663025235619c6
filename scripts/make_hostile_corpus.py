"""Generate a small corpus of hostile trajectory files (issue 21), each with a sidecar.

Every entry must give a one-line error and a recorded ingest failure, and leave the rest of a
store unchanged (tests/hostile/test_hostile_corpus.py checks this). Nothing here is committed
as a binary: the files are generated, in a few seconds and a few MB of disk.

    python scripts/make_hostile_corpus.py DIR [--gz-inflated-mb 256] [--sparse-mb 1024]

Entries (file -> what it is):

- ``alias_bomb.extxyz``: a valid trajectory whose YAML sidecar holds a 'billion laughs' in its
  free-form ``gamma`` field (7 levels of 9 aliases: 4.8 million strings from < 600 bytes);
- ``gz_bomb.extxyz.gz``: about 1 MB of gzip that inflates to ``--gz-inflated-mb`` of valid
  looking extended XYZ frames (a ratio of ~250, far past any real trajectory);
- ``gz_zeros.extxyz.gz``: gzip of zeros (binary content behind a trajectory name);
- ``sparse.extxyz``: a sparse file of ``--sparse-mb`` (no blocks on disk, all NUL bytes);
- ``latin1.extxyz``: a valid trajectory with a Latin-1 sidecar (``notes: café``);
- ``caf\\xe9.extxyz``: a valid trajectory whose file name is not UTF-8.
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

FRAME = (b'2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3\n'
         b"Ba 0.0 0.0 0.0\nO 1.0 1.0 1.0\n")
SIDECAR = "formula: BaO\ntemperature_K: 1500\nframe_interval_fs: 2\nreplicate: {}\n"


def alias_bomb(levels: int = 7, width: int = 9) -> str:
    lines = ["gamma:", f"  a0: &a0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"  a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _gzip_repeat(path: Path, inflated: int, content: bytes) -> None:
    block = content * max(1, (1 << 20) // len(content))
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(max(1, inflated // len(block))):
            fh.write(block)


def _entry(folder: Path, name: bytes, data: bytes | None, sidecar: bytes) -> Path:
    base = os.fsencode(folder) + b"/" + name
    if data is not None:
        with open(base, "wb") as fh:
            fh.write(data)
    with open(base + b".yaml", "wb") as fh:
        fh.write(sidecar)
    return Path(os.fsdecode(base))


def make_corpus(folder: str | Path, *, gz_inflated_mb: int = 256,
                sparse_mb: int = 1024) -> dict[str, str]:
    """Write the corpus into ``folder``; returns {trajectory path: expected error fragment}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = FRAME * 3
    expected: dict[str, str] = {}
    path = _entry(folder, b"alias_bomb.extxyz", good,
                  (SIDECAR.format("alias") + alias_bomb()).encode())
    expected[str(path)] = "sidecar uses YAML aliases"
    path = _entry(folder, b"gz_bomb.extxyz.gz", None, SIDECAR.format("gz").encode())
    _gzip_repeat(path, gz_inflated_mb << 20, FRAME)
    expected[str(path)] = "gzip data inflates to more than"
    path = _entry(folder, b"gz_zeros.extxyz.gz", None, SIDECAR.format("zeros").encode())
    _gzip_repeat(path, 64 << 20, b"\0")
    expected[str(path)] = "binary data (NUL bytes)"
    path = _entry(folder, b"sparse.extxyz", None, SIDECAR.format("sparse").encode())
    with open(path, "wb") as fh:
        fh.truncate(sparse_mb << 20)
    expected[str(path)] = "binary data (NUL bytes)"
    path = _entry(folder, b"latin1.extxyz", good,
                  (SIDECAR.format("latin1") + "notes: café\n").encode("latin-1"))
    expected[str(path)] = "sidecar is not UTF-8 text"
    path = _entry(folder, b"caf\xe9.extxyz", good, SIDECAR.format("name").encode())
    expected[os.fsencode(path).decode("utf-8", "backslashreplace")] = \
        "file name is not valid UTF-8"
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--gz-inflated-mb", type=int, default=256,
                        help="what the gzip bomb inflates to, MB (default 256)")
    parser.add_argument("--sparse-mb", type=int, default=1024,
                        help="apparent size of the sparse file, MB (default 1024)")
    args = parser.parse_args()
    expected = make_corpus(args.folder, gz_inflated_mb=args.gz_inflated_mb,
                           sparse_mb=args.sparse_mb)
    for path, message in expected.items():
        print(f"{path}: expect '{message}'")


if __name__ == "__main__":
    main()
