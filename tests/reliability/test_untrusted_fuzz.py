"""Fuzzing mutated parquet files, embeddings stores and `astroclip info`: only the project's own
errors, never a hang (each example runs under a SIGALRM guard, and faulthandler aborts the
process with a traceback if native code ignores it)."""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astroclip_engine.errors import AstroClipError
from astroclip_engine.store import EmbeddingStore, StoreInfo, write_store
from tests.engine.test_data_builders import make_pairs, write_parquet

EXAMPLE_TIMEOUT_S = 10
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


class ExampleTimeout(Exception):
    """An example ran longer than EXAMPLE_TIMEOUT_S (a hang)."""


@contextlib.contextmanager
def time_guard(seconds: int = EXAMPLE_TIMEOUT_S) -> Iterator[None]:
    def expire(signum, frame):
        raise ExampleTimeout(f"example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    # native code that ignores SIGALRM: abort the process with every thread's traceback
    faulthandler.dump_traceback_later(seconds * 3, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def only_project_errors(call: Callable[[Path], object], path: Path, counts: dict[str, int]
                        ) -> None:
    """`call(path)` succeeds or raises an AstroClipError naming the file, within the guard."""
    with warnings.catch_warnings(), time_guard():
        warnings.simplefilter("ignore")
        try:
            call(path)
            counts["ok"] = counts.get("ok", 0) + 1
        except AstroClipError as exc:
            assert path.name in str(exc), str(exc)
            counts["refused"] = counts.get("refused", 0) + 1


def mutate(data: bytes, edits: list[tuple[int, int]], keep: float | None) -> bytes:
    raw = bytearray(data)
    for offset, value in edits:
        raw[offset % len(raw)] = value
    return bytes(raw[: int(len(raw) * keep)] if keep is not None else raw)


EDITS = st.lists(st.tuples(st.one_of(st.integers(0, 4096), st.integers(0, 10**6)),
                           st.integers(0, 255)), min_size=1, max_size=6)
KEEP = st.one_of(st.none(), st.floats(0.0, 1.0))


class Originals(dict):
    """File name -> pristine bytes (short repr: hypothesis prints it on failure)."""

    def __repr__(self) -> str:
        return f"Originals({', '.join(f'{k}: {len(v)} B' for k, v in self.items())})"


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Originals:
    folder = tmp_path_factory.mktemp("fuzz_src")
    write_parquet(folder / "hub.parquet", make_pairs(6, size=16), row_group_size=3)
    info = StoreInfo(embedding_dim=4, checkpoint="c.ckpt", checkpoint_sha256="0",
                     dataset_path="d.h5")
    rng = np.random.default_rng(0)
    write_store(folder / "emb.h5", image=rng.normal(size=(6, 4)),
                spectrum=rng.normal(size=(6, 4)), targetid=np.arange(6), row=np.arange(6),
                split=np.zeros(6, np.int8), redshift=np.zeros(6, np.float32),
                properties={"log_mstar": np.ones(6)}, info=info)
    return Originals({name: (folder / name).read_bytes() for name in ("hub.parquet", "emb.h5")})


def read_parquet(path: Path) -> None:
    from astroclip_engine.data.open import describe, open_dataset

    ds = open_dataset(path)
    try:
        for i in range(len(ds)):
            ds.read_image(i)
            ds.read_spectrum(i)
    finally:
        ds.close()
    describe(path)


def read_store(path: Path) -> None:
    with EmbeddingStore(path) as store:
        for modality in ("image", "spectrum"):
            store.embeddings(modality)
        store.properties()
        for name in store.cluster_names():
            store.clusters(name)
        if len(store):
            store.index_of(int(store.targetids[0]))


COUNTS: dict[str, dict[str, int]] = {}


@FUZZ
@given(edits=EDITS, keep=KEEP)
def test_mutated_parquet(tmp_path: Path, originals, edits, keep) -> None:
    path = tmp_path / "hub.parquet"
    path.write_bytes(mutate(originals["hub.parquet"], edits, keep))
    only_project_errors(read_parquet, path, COUNTS.setdefault("parquet", {}))


def fresh(folder: Path, name: str) -> Path:
    """A new file name per example: a handle leaked by one example cannot affect the next."""
    fresh.count = getattr(fresh, "count", 0) + 1  # type: ignore[attr-defined]
    return folder / f"{fresh.count}-{name}"  # type: ignore[attr-defined]


@FUZZ
@given(edits=EDITS, keep=KEEP)
def test_mutated_store_bytes(tmp_path: Path, originals, edits, keep) -> None:
    path = fresh(tmp_path, "emb.h5")
    path.write_bytes(mutate(originals["emb.h5"], edits, keep))
    only_project_errors(read_store, path, COUNTS.setdefault("store bytes", {}))


STRUCTURE = st.sampled_from([
    ("del", "image"), ("del", "targetid"), ("attr", "embedding_dim"), ("attr", "format"),
    ("shape", "image"), ("shape", "targetid"), ("dtype", "targetid"), ("dtype", "image"),
    ("group", "properties"), ("attr-type", "embedding_dim"), ("scalar", "redshift"),
])


def damage(path: Path, edit: tuple[str, str]) -> None:
    kind, key = edit
    with h5py.File(path, "r+") as f:
        if kind == "del":
            del f[key]
        elif kind == "attr":
            del f.attrs[key]
        elif kind == "attr-type":
            f.attrs[key] = "eight"
        elif kind in ("shape", "dtype", "scalar"):
            old = f[key][()]
            del f[key]
            data = {"shape": np.zeros((3, 7), old.dtype), "scalar": np.float32(1.0),
                    "dtype": np.array([b"x"] * len(old))}[kind]
            f.create_dataset(key, data=data)
        elif kind == "group":
            del f[key]
            f.create_dataset(key, data=np.zeros(6))


@FUZZ
@given(edits=st.lists(STRUCTURE, min_size=1, max_size=3, unique=True))
def test_structurally_damaged_store(tmp_path: Path, originals, edits) -> None:
    path = fresh(tmp_path, "emb.h5")
    path.write_bytes(originals["emb.h5"])
    for edit in edits:
        with contextlib.suppress(KeyError):
            damage(path, edit)
    only_project_errors(read_store, path, COUNTS.setdefault("store structure", {}))


@FUZZ
@given(name=st.sampled_from(["hub.parquet", "emb.h5"]), edits=EDITS, keep=KEEP)
def test_info_cli_on_mutated_files(tmp_path: Path, originals, capsys, name, edits, keep) -> None:
    from astroclip_engine.cli import main

    path = tmp_path / name
    path.write_bytes(mutate(originals[name], edits, keep))
    counts = COUNTS.setdefault("astroclip info", {})
    with warnings.catch_warnings(), time_guard():
        warnings.simplefilter("ignore")
        code = main(["info", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("astroclip: error:") and path.name in err
    counts["ok" if code == 0 else "refused"] = counts.get("ok" if code == 0 else "refused",
                                                          0) + 1


def test_fuzz_summary(record_case) -> None:
    """Records the fuzz campaign in the report (runs after the fuzz tests of this module)."""
    case = record_case(
        "mutated parquet files, embeddings stores (bytes and structure) and `astroclip info`",
        "hypothesis: byte overwrites + truncation, deleted/retyped datasets and attributes; "
        f"each example under a {EXAMPLE_TIMEOUT_S} s SIGALRM guard",
        "a valid result or the project's own error naming the file (info: exit 2, no "
        "traceback); never a hang")
    if not COUNTS:
        pytest.skip("run with the fuzz tests of this module")
    parts = [f"{kind}: {c.get('ok', 0)} read, {c.get('refused', 0)} refused"
             for kind, c in COUNTS.items()]
    case.done("; ".join(parts), 0)
