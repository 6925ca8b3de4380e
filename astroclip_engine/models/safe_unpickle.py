"""Safe reading of foreign pickled PyTorch checkpoints (published AstroCLIP models and seeds).

Published checkpoints pickle whole module objects in `hyper_parameters` (Lightning < 2.3 saves
`nn.Module` init arguments), so `torch.load(weights_only=True)` refuses them. This reader opens
them without running anything from the file:

- only tensors, storages, numpy arrays and plain containers are rebuilt, by this module's own
  functions (`_SAFE_GLOBALS`);
- every other global the pickle names becomes an inert placeholder type (`Inert`): nothing is
  imported, no constructor, `__reduce__` target or `__setstate__` from the file is ever called;
- storages are read from the zip archive on the CPU whatever device they were saved from
  (`cuda:0` in checkpoints written on GPUs);
- `read_meta=True` builds `TensorMeta` (dtype, shape) instead of tensors: storages are not read,
  so `astroclip info` on a 1.6 GB file reads only its `data.pkl`.

`state_dict_of` finds the weights (`state_dict`, dinov2's `teacher`, spender's `model`, or a
bare mapping of tensors) and refuses a file without one; `plain_value` turns hyper-parameters
into JSON-like values (placeholders become their class name).
"""

from __future__ import annotations

import codecs
import math
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astroclip_engine.errors import CheckpointError

_STORAGE_DTYPES: dict[str, torch.dtype] = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16, "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64, "IntStorage": torch.int32, "ShortStorage": torch.int16,
    "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
    "ComplexFloatStorage": torch.complex64, "ComplexDoubleStorage": torch.complex128,
    "UntypedStorage": torch.uint8,
}
_TORCH_DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
    "bool", "complex64", "complex128", "float", "double", "half", "long", "int")}
MAX_PLAIN_DEPTH = 6


class Inert:
    """An object of a class the reader does not trust: it only records what the pickle gave it.

    `args` are the constructor arguments, `state` the `__setstate__` / `__dict__` state, `items`
    and `list_items` what SETITEMS / APPENDS added. It defines no behaviour the unpickler could
    trigger: attribute writes (BUILD slot state) go into `attrs`, never onto the instance.
    """

    __slots__ = ("args", "attrs", "items", "list_items", "state")
    origin = "builtins.object"

    def __new__(cls, *args: Any, **kwargs: Any) -> Inert:
        obj = object.__new__(cls)
        for slot, value in (("args", args), ("state", None), ("items", {}),
                            ("list_items", []), ("attrs", dict(kwargs))):
            object.__setattr__(obj, slot, value)
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        object.__setattr__(self, "state", state)

    def __setattr__(self, name: str, value: Any) -> None:
        self.attrs[name] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.items[key] = value

    def append(self, value: Any) -> None:
        self.list_items.append(value)

    def extend(self, values: Any) -> None:
        self.list_items.extend(list(values) if isinstance(values, list | tuple) else [])

    def __repr__(self) -> str:
        return f"<inert {self.origin}>"


_INERT_TYPES: dict[str, type[Inert]] = {}


def inert_type(module: str, name: str) -> type[Inert]:
    """The placeholder type standing for `module.name` (one per name, never imported)."""
    origin = f"{module}.{name}"
    if origin not in _INERT_TYPES:
        label = "".join(c if c.isalnum() else "_" for c in name)[:60] or "anonymous"
        _INERT_TYPES[origin] = type(label, (Inert,), {"__slots__": (), "origin": origin,
                                                      "__module__": "astroclip_engine.inert"})
    return _INERT_TYPES[origin]


@dataclass(frozen=True)
class TensorMeta:
    """A tensor's description when storages are not read (`read_meta=True`)."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    device: str

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class _StorageRef:
    dtype: torch.dtype
    key: str
    location: str
    numel: int


@dataclass(frozen=True)
class _StorageType:
    dtype: torch.dtype


def _rebuild_tensor(storage: Any, offset: int, size: Any, stride: Any, *_: Any) -> Any:
    """Our `torch._utils._rebuild_tensor_v2`: a CPU tensor (or TensorMeta) over a storage."""
    shape = tuple(int(s) for s in size)
    if isinstance(storage, _StorageRef):
        return TensorMeta(storage.dtype, shape, storage.location)
    if not isinstance(storage, torch.Tensor):
        raise pickle.UnpicklingError("tensor without a storage")
    tensor = torch.empty(0, dtype=storage.dtype)
    return tensor.set_(storage.untyped_storage(), int(offset), shape,
                       tuple(int(s) for s in stride))


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    """A Parameter is read as its plain tensor."""
    return data


def _rebuild_from_type(func: Any, _new_type: Any, args: Any, _state: Any = None) -> Any:
    """`torch._tensor._rebuild_from_type_v2`: only our own rebuild functions are called."""
    if func not in (_rebuild_tensor, _rebuild_parameter) or not isinstance(args, tuple):
        raise pickle.UnpicklingError("tensor subclass rebuilt by an unknown function")
    return func(*args)


def _codecs_encode(text: Any, encoding: str = "utf-8") -> bytes:
    """Protocol-2 bytes (`_codecs.encode(str, 'latin1')`), and nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("unexpected _codecs.encode call")
    return codecs.encode(text, "latin1")


def _device(*args: Any) -> str:
    """`torch.device(...)` read as its name."""
    return ":".join(str(a) for a in args if isinstance(a, str | int))


def _numpy_globals() -> dict[tuple[str, str], Any]:
    core = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    found: dict[tuple[str, str], Any] = {}
    for package in ("numpy.core.multiarray", "numpy._core.multiarray"):
        found[(package, "_reconstruct")] = core._reconstruct
        found[(package, "scalar")] = core.scalar
    found[("numpy", "ndarray")] = np.ndarray
    found[("numpy", "dtype")] = np.dtype
    for code in ("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?", "c8",
                 "c16", "U", "S"):
        dtype_class = type(np.dtype(code))
        found[("numpy.dtypes", dtype_class.__name__)] = dtype_class
    return found


_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex, ("builtins", "slice"): slice,
    ("_codecs", "encode"): _codecs_encode,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch.nn.parameter", "Parameter"): inert_type("torch.nn.parameter", "Parameter"),
    ("torch", "device"): _device, ("torch", "Size"): torch.Size,
    **{("torch", name): _StorageType(dtype) for name, dtype in _STORAGE_DTYPES.items()},
    **{("torch", name): dtype for name, dtype in _TORCH_DTYPES.items()},
    **_numpy_globals(),
}
"""Every global the reader resolves to something other than a placeholder: our own rebuild
functions, code-free containers and value types, never a foreign callable."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: Any, storage: Callable[[_StorageRef], Any]) -> None:
        super().__init__(handle)
        self._storage = storage

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        return _SAFE_GLOBALS[key] if key in _SAFE_GLOBALS else inert_type(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {str(pid)[:60]}")
        _, kind, key, location, numel = pid
        return self._storage(_StorageRef(kind.dtype, str(key), str(location), int(numel)))


def _data_pickle(archive: zipfile.ZipFile, path: Path) -> str:
    names = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(names) != 1:
        raise CheckpointError(path, "not a PyTorch checkpoint: no single '<folder>/data.pkl' in "
                                    "the zip archive")
    return names[0][: -len("data.pkl")]


def read_pickled_checkpoint(path: str | Path, read_meta: bool = False) -> Any:
    """The object a `torch.save` zip file holds, rebuilt without running any of its code.

    Tensors come back on the CPU (or as `TensorMeta` with `read_meta`); foreign classes as
    `Inert` placeholders. Legacy (pre-1.6, non-zip) files and corrupt archives raise
    CheckpointError naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(path, "not a zip-format PyTorch checkpoint (the legacy pre-1.6 "
                                    "format and raw pickles are not read)")
    try:
        with zipfile.ZipFile(path) as archive:
            prefix = _data_pickle(archive, path)
            cache: dict[str, torch.Tensor] = {}

            def storage(ref: _StorageRef) -> Any:
                if read_meta:
                    return ref
                if ref.key not in cache:
                    cache[ref.key] = _read_storage(archive, prefix + "data/" + ref.key, ref)
                return cache[ref.key].view(ref.dtype)

            with archive.open(prefix + "data.pkl") as handle:
                return _Unpickler(handle, storage).load()
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, KeyError, ValueError,
            TypeError, AttributeError, IndexError, RuntimeError, OSError, RecursionError,
            MemoryError, OverflowError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(path, f"not a readable PyTorch checkpoint: {first}") from exc


def _read_storage(archive: zipfile.ZipFile, name: str, ref: _StorageRef) -> torch.Tensor:
    data = bytearray(archive.read(name))
    expected = ref.numel * torch.empty(0, dtype=ref.dtype).element_size()
    if len(data) != expected:
        raise pickle.UnpicklingError(f"storage {ref.key} has {len(data)} bytes, expected "
                                     f"{expected}")
    return torch.frombuffer(data, dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)


# --- what a checkpoint holds ----------------------------------------------------------------

STATE_DICT_KEYS = ("state_dict", "teacher", "model", "model_state_dict", "module")


def is_tensor_like(value: Any) -> bool:
    return isinstance(value, torch.Tensor | TensorMeta)


def state_dict_of(obj: Any, path: str | Path) -> tuple[str, dict[str, Any]]:
    """(where, weights): the checkpoint's state dict and the key it was found under ('' for a
    bare mapping). spender's `model` list gives its first entry. Raises CheckpointError when the
    file holds no mapping of names to tensors."""
    candidates: list[tuple[str, Any]] = []
    if isinstance(obj, Mapping):
        candidates += [(key, obj.get(key)) for key in STATE_DICT_KEYS if key in obj]
        candidates.append(("", obj))
    for where, value in candidates:
        if isinstance(value, list | tuple) and value:
            value = value[0]
        if isinstance(value, Mapping):
            tensors = {str(k): v for k, v in value.items() if is_tensor_like(v)}
            if tensors and len(tensors) >= len(value) / 2:
                return where, tensors
    raise CheckpointError(path, "no recognisable state dict (a mapping of parameter names to "
                                "tensors under 'state_dict', 'teacher' or 'model', or at the top)")


def plain_value(value: Any, depth: int = 0) -> Any:
    """JSON-like view of hyper-parameters: numbers, strings, lists, dicts; placeholders and
    tensors become short descriptions. Never calls into a placeholder."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if depth >= MAX_PLAIN_DEPTH:
        return "..."
    if isinstance(value, np.generic):
        return value.item() if value.dtype.kind in "biuf" else str(value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.Tensor | TensorMeta | np.ndarray):
        return f"<{type(value).__name__} {tuple(value.shape)}>"
    if isinstance(value, Mapping):
        return {str(k): plain_value(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_value(v, depth + 1) for v in list(value)[:200]]
    if isinstance(value, Inert):
        if value.items and isinstance(value.state, Mapping | type(None)):
            return plain_value(value.items, depth)
        if type(value).origin == "argparse.Namespace" and isinstance(value.state, Mapping):
            return plain_value(value.state, depth)
        return f"<{type(value).origin}>"
    return f"<{type(value).__name__}>"


def hyper_parameters_of(obj: Any) -> dict[str, Any]:
    """Plain hyper-parameters of a checkpoint (Lightning `hyper_parameters`, or spender-style
    `hyper_parameters` dicts); {} when there are none."""
    if not isinstance(obj, Mapping):
        return {}
    value = plain_value(obj.get("hyper_parameters"))
    return value if isinstance(value, dict) else {}
