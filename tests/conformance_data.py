"""Where the shared conformance vectors live, and how to read them in place.

The vectors are data owned by the team (``../shared/conformance``); they are never
copied into the project. ``PLAYGROUND_CONFORMANCE`` points elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def conformance_root() -> Path:
    return Path(os.environ.get("PLAYGROUND_CONFORMANCE", REPO_ROOT.parent / "shared" / "conformance"))


def vectors(folder: str, recursive: bool = False) -> list[dict]:
    """Parsed vectors of one folder (e.g. ``bpf_conformance``), sorted by name.

    Each dict gains ``_path`` (relative to the conformance root). With
    ``recursive``, sub-folders are included. Missing data is a skip naming the path.
    """
    root = conformance_root()
    base = root / folder
    if not base.is_dir():
        pytest.skip(f"conformance vectors not found at {base} (set PLAYGROUND_CONFORMANCE)")
    paths = base.rglob("*.json") if recursive else base.glob("*.json")
    out = []
    for path in sorted(paths):
        data = json.loads(path.read_text())
        data["_path"] = str(path.relative_to(root))
        out.append(data)
    return out


def vector_params(folder: str, recursive: bool = False) -> list:
    """``pytest.param`` per vector with its relative path as id, for parametrize."""
    try:
        found = vectors(folder, recursive)
    except pytest.skip.Exception as skip:
        return [pytest.param(None, marks=pytest.mark.skip(reason=str(skip)), id=folder)]
    return [pytest.param(v, id=v["_path"]) for v in found]
