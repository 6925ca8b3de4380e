"""Checkpoints that pickle code are refused by every loader, and the code never runs."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models import checkpoints
from tests.reliability.payloads import write_payloads, write_reader_payloads

ROOT = Path(__file__).resolve().parents[2]
LOADERS: dict[str, Callable[[Path], Any]] = {
    "safe_load": checkpoints.safe_load,
    "load_astroclip": checkpoints.load_astroclip,
    "read_stein_checkpoint": checkpoints.read_stein_checkpoint,
    "load_stein_image_encoder": checkpoints.load_stein_image_encoder,
    "load_stein_head": checkpoints.load_stein_head,
    "spender_encoder_state": checkpoints.spender_encoder_state,
    "load_spender_encoder": checkpoints.load_spender_encoder,
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Path]:
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / "PWNED"
    return write_payloads(folder / "files", marker), marker


def test_every_loader_refuses_pickled_code(hostile, record_case) -> None:
    files, marker = hostile
    case = record_case(
        "checkpoint that pickles code (os.system via __reduce__) or a module class",
        f"{len(files)} hostile files (zip, legacy and raw pickle) x {len(LOADERS)} loaders of "
        "models/checkpoints.py",
        "CheckpointError naming the file; the payload never runs (no marker file)")
    refused = 0
    for loader_name, loader in LOADERS.items():
        for file_name, path in files.items():
            with pytest.raises(CheckpointError) as raised:
                loader(path)
            assert str(path) in str(raised.value), (loader_name, file_name)
            assert not marker.exists(), f"{loader_name} ran the payload of {file_name}"
            refused += 1
    case.done(f"{refused} of {refused} loads refused with CheckpointError; marker absent", 0)


def test_safe_reader_never_runs_a_payload(hostile, tmp_path: Path, record_case) -> None:
    case = record_case(
        "foreign checkpoint read by the safe reader (models/safe_unpickle.py) that pickles code",
        "the 8 hostile files above + 8 aimed at the reader (importable __setstate__, "
        "os.system via __reduce__ / INST / getattr(__import__) chains / eval, tensor-subclass "
        "rebuild with os.system, bad persistent id) x read_pickled_checkpoint (tensors and "
        "metadata), `astroclip info`, load_embedding_model, `astroclip embed`",
        "nothing runs (no marker); placeholders only; a model load / embed is refused with "
        "CheckpointError (no recognisable model), exit 2")
    from astroclip_engine.cli import main
    from astroclip_engine.models.checkpoint_info import describe_checkpoint
    from astroclip_engine.models.published import load_embedding_model
    from astroclip_engine.models.safe_unpickle import Inert, read_pickled_checkpoint

    files, marker = hostile
    reader_files = write_reader_payloads(tmp_path / "reader", marker)
    read, inert, refused, described = 0, 0, 0, 0
    for name, path in {**files, **reader_files}.items():
        for meta in (False, True):
            try:
                obj = read_pickled_checkpoint(path, read_meta=meta)
                read += 1
                inert += _contains_inert(obj, Inert)
            except CheckpointError as exc:
                assert str(path) in str(exc), name
            assert not marker.exists(), f"the reader ran the payload of {name}"
        try:  # a recognisable backbone layout is described (safely), anything else refused
            described += describe_checkpoint(path)["family"] in ("stein-moco", "spender")
        except CheckpointError as exc:
            assert str(path) in str(exc), name
        with pytest.raises(CheckpointError) as raised:
            load_embedding_model(path)
        assert str(path) in str(raised.value), name
        refused += 1
        assert main(["info", str(path)]) in (0, 2), name
        assert main(["embed", "--checkpoint", str(path), "--data", str(path),
                     "--out", str(tmp_path / "out.h5")]) == 2, name
        assert not marker.exists(), f"a command ran the payload of {name}"
    total = len(files) + len(reader_files)
    assert refused == total and described == 2
    case.done(f"{total} files: {read} of {2 * total} reads returned data ({inert} with inert "
              f"placeholders); info described {described} (Stein, spender layouts) and "
              f"refused the rest; {refused} of {total} model loads and every embed refused "
              "(exit 2); marker absent", 0)


def _contains_inert(obj: Any, inert: type, depth: int = 0) -> bool:
    if isinstance(obj, inert):
        return True
    if depth > 8:
        return False
    if isinstance(obj, dict):
        return any(_contains_inert(v, inert, depth + 1) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_contains_inert(v, inert, depth + 1) for v in obj)
    return False


def test_cli_embed_and_resume_refuse_pickled_code(hostile, tiny_mock: Path, tiny_preset: Path,
                                                  tmp_path: Path, capsys, record_case) -> None:
    files, marker = hostile
    case = record_case(
        "hostile checkpoint given to `astroclip embed --checkpoint` and `train --resume`",
        "cli.main in process; the hostile Lightning file as --checkpoint and as RUN/last.ckpt",
        "exit 2 with `astroclip: error:`; nothing written; payload never runs")
    from astroclip_engine.cli import main
    from astroclip_engine.config import RunConfig
    from astroclip_engine.training.run_dir import RunDir

    out = tmp_path / "emb.h5"
    code = main(["embed", "--checkpoint", str(files["lightning checkpoint"]), "--data",
                 str(tiny_mock), "--out", str(out), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and "astroclip: error:" in err and "refused" in err
    assert not out.exists() and not Path(str(out) + ".partial").exists()

    run = RunDir(tmp_path / "run")
    run.write_config(RunConfig.from_yaml(tiny_preset).replace(data={"path": str(tiny_mock)}))
    run.checkpoints_dir.mkdir(parents=True)
    run.last_checkpoint.write_bytes(files["lightning checkpoint"].read_bytes())
    code = main(["train", "--out", str(run.path), "--resume", "--progress", "none"])
    err = capsys.readouterr().err
    assert code == 2 and "astroclip: error:" in err and str(run.last_checkpoint) in err
    assert not marker.exists()
    assert run.read_status().state == "failed"
    case.done("embed: exit 2 'refused to load'; train --resume: exit 2, status failed; "
              "marker absent", 0)


def test_lightning_resume_loads_weights_only(hostile, record_case) -> None:
    case = record_case(
        "Lightning's own resume path (Trainer.fit(ckpt_path=...)) given a hostile file",
        "AtomicCheckpointIO.load_checkpoint (the CheckpointIO Lightning calls) on the file",
        "refused by torch.load(weights_only=True); payload never runs")
    import pickle

    from astroclip_engine.training.callbacks import AtomicCheckpointIO

    files, marker = hostile
    for path in files.values():
        with pytest.raises(pickle.UnpicklingError):
            AtomicCheckpointIO().load_checkpoint(path)
    assert not marker.exists()
    case.done(f"{len(files)} files refused; marker absent", 0)


UNSAFE_CALLS = {("torch", "load"), ("pickle", "load"), ("pickle", "loads"), ("yaml", "load"),
                ("np", "load"), ("numpy", "load"), ("os", "system"),
                ("builtins", "eval"), ("builtins", "exec"), ("", "eval"), ("", "exec")}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                yield (func.value.id, func.attr), node
            elif isinstance(func, ast.Name):
                yield ("", func.id), node


def _keyword(node: ast.Call, name: str) -> Any:
    for keyword in node.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


def test_source_has_no_unsafe_deserialisation(record_case) -> None:
    case = record_case(
        "any code path that could unpickle or execute file content",
        "static scan (AST) of astroclip_engine/ and astroclip_gui/",
        "torch.load only with weights_only=True; np.load only with allow_pickle=False; no "
        "pickle.load, yaml.load, eval, exec or os.system")
    problems, checked = [], 0
    for path in sorted((ROOT / "astroclip_engine").rglob("*.py")) + sorted(
            (ROOT / "astroclip_gui").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for name, node in _calls(tree):
            if name not in UNSAFE_CALLS:
                continue
            checked += 1
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == ("torch", "load") and _keyword(node, "weights_only") is True:
                continue
            if name[1] == "load" and name[0] in ("np", "numpy") and (
                    _keyword(node, "allow_pickle") is False):
                continue
            problems.append(f"{where} {'.'.join(filter(None, name))}")
    case.done(f"{checked} deserialising calls checked; unsafe: {problems or 'none'}", 0)
    assert not problems
