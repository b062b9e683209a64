"""msgpack encoding of plain data, with extension types for what msgpack lacks.

Round-trips to the same type and value (nested too): tuple, set, frozenset, bytes,
datetime/date/time/timedelta (with ``datetime.timezone`` or ``zoneinfo`` zones), Decimal,
complex, numpy scalars, numpy arrays (any non-object dtype), ints beyond 64 bits and dicts
with non-str keys (tuple keys included).

The hot path stays lean: :func:`classify` walks the value once (checking homogeneous
lists with one C-level ``set(map(type, ...))``) and answers ``"plain"`` (msgpack packs it
natively: no hook, no ``strict_types``), ``"ext"`` (needs the hooks) or ``None`` (not
representable: the caller falls back to pickle). Subclasses of builtins (``IntEnum``,
``OrderedDict``, namedtuples...) are not plain data and go to pickle, so nothing silently
changes type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from typing import Any

import msgpack
import numpy as np

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_PLAIN_SCALARS = frozenset({str, float, bool, type(None), bytes})
_EXT_SCALARS = frozenset({dt.datetime, dt.date, dt.time, dt.timedelta, decimal.Decimal, complex})

EXT_TUPLE, EXT_SET, EXT_FROZENSET, EXT_DATETIME, EXT_DATE, EXT_TIME = 1, 2, 3, 4, 5, 6
EXT_TIMEDELTA, EXT_DECIMAL, EXT_COMPLEX, EXT_BIGINT, EXT_NPSCALAR, EXT_NPARRAY = (
    7,
    8,
    9,
    10,
    11,
    12,
)


def _tz_ok(tz: Any) -> bool:
    return tz is None or type(tz) in (dt.timezone, zoneinfo.ZoneInfo)


def _is_numpy_scalar(obj: Any) -> bool:
    return (
        isinstance(obj, np.generic)
        and type(obj).__module__ == "numpy"
        and (obj.dtype.kind not in "OV")
    )


def _classify_scalar(obj: Any, t: type) -> str | None:
    if t is int:
        return "plain" if _INT_MIN <= obj <= _INT_MAX else "ext"
    if t in _EXT_SCALARS:
        if t in (dt.datetime, dt.time) and not _tz_ok(obj.tzinfo):
            return None
        return "ext"
    if t is np.ndarray:
        return None if obj.dtype.hasobject else "ext"
    if _is_numpy_scalar(obj):
        return "ext"
    return None


def _classify_items(items: Any) -> str | None:
    """Classify the elements of a list/tuple/set/dict-values collection."""
    types = set(map(type, items))
    if types <= _PLAIN_SCALARS:
        return "plain"
    result = "plain"
    if types <= _PLAIN_SCALARS | {int}:
        ints = [x for x in items if type(x) is int]
        return "plain" if _INT_MIN <= min(ints) and max(ints) <= _INT_MAX else "ext"
    for item in items:
        kind = classify(item)
        if kind is None:
            return None
        if kind == "ext":
            result = "ext"
    return result


def classify(obj: Any) -> str | None:
    """Return ``"plain"``, ``"ext"`` (needs extension types) or ``None`` (use pickle)."""
    t = type(obj)
    if t in _PLAIN_SCALARS:
        return "plain"
    if t is list:
        return _classify_items(obj)
    if t is dict:
        keys = _classify_items(list(obj)) if obj else "plain"
        if keys is None:
            return None
        values = _classify_items(list(obj.values())) if obj else "plain"
        if values is None:
            return None
        plain = keys == "plain" and values == "plain"
        return "plain" if plain and set(map(type, obj)) <= {str} else "ext"
    if t in (tuple, set, frozenset):
        return None if _classify_items(list(obj)) is None else "ext"
    return _classify_scalar(obj, t)


def _pack_tz(tz: Any) -> Any:
    if tz is None:
        return None
    if type(tz) is zoneinfo.ZoneInfo:
        return ["zone", tz.key]
    offset = tz.utcoffset(None)
    name = tz.tzname(None)
    default_name = dt.timezone(offset).tzname(None)
    return [
        "offset",
        offset.days,
        offset.seconds,
        offset.microseconds,
        None if name == default_name else name,
    ]


def _unpack_tz(spec: Any) -> Any:
    if spec is None:
        return None
    if spec[0] == "zone":
        return zoneinfo.ZoneInfo(spec[1])
    offset = dt.timedelta(days=spec[1], seconds=spec[2], microseconds=spec[3])
    return dt.timezone(offset) if spec[4] is None else dt.timezone(offset, spec[4])


def _sorted_if_possible(items: Any) -> list:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _default(obj: Any) -> msgpack.ExtType:  # noqa: C901 - one dispatch table
    t = type(obj)
    if t is tuple:
        return msgpack.ExtType(EXT_TUPLE, _packb(list(obj)))
    if t is set:
        return msgpack.ExtType(EXT_SET, _packb(_sorted_if_possible(obj)))
    if t is frozenset:
        return msgpack.ExtType(EXT_FROZENSET, _packb(_sorted_if_possible(obj)))
    if t is int:
        return msgpack.ExtType(EXT_BIGINT, str(obj).encode())
    if t is dt.datetime:
        parts = [
            obj.year,
            obj.month,
            obj.day,
            obj.hour,
            obj.minute,
            obj.second,
            obj.microsecond,
            obj.fold,
            _pack_tz(obj.tzinfo),
        ]
        return msgpack.ExtType(EXT_DATETIME, _packb(parts))
    if t is dt.date:
        return msgpack.ExtType(EXT_DATE, _packb([obj.year, obj.month, obj.day]))
    if t is dt.time:
        parts = [obj.hour, obj.minute, obj.second, obj.microsecond, obj.fold, _pack_tz(obj.tzinfo)]
        return msgpack.ExtType(EXT_TIME, _packb(parts))
    if t is dt.timedelta:
        return msgpack.ExtType(EXT_TIMEDELTA, _packb([obj.days, obj.seconds, obj.microseconds]))
    if t is decimal.Decimal:
        return msgpack.ExtType(EXT_DECIMAL, str(obj).encode())
    if t is complex:
        return msgpack.ExtType(EXT_COMPLEX, _packb([obj.real, obj.imag]))
    if t is np.ndarray:
        return msgpack.ExtType(EXT_NPARRAY, _pack_array(obj))
    if isinstance(obj, np.generic):
        descr = np.lib.format.dtype_to_descr(obj.dtype)
        return msgpack.ExtType(EXT_NPSCALAR, _packb([descr, obj.tobytes()]))
    raise TypeError(f"cannot pack {t.__module__}.{t.__qualname__} as msgpack")


def _pack_array(arr: np.ndarray) -> bytes:
    fortran = arr.flags.f_contiguous and not arr.flags.c_contiguous and arr.ndim > 1
    order = "F" if fortran else "C"
    data = arr.tobytes(order=order)
    descr = np.lib.format.dtype_to_descr(arr.dtype)
    return _packb([descr, list(arr.shape), order, data])


def _descr(spec: Any) -> np.dtype:
    if isinstance(spec, list):
        spec = [tuple(_descr_field(f)) for f in spec]
    return np.lib.format.descr_to_dtype(spec)


def _descr_field(f: list) -> list:
    out = list(f)
    if isinstance(out[1], list):
        out[1] = [tuple(_descr_field(g)) for g in out[1]]
    if len(out) > 2:
        out[2] = tuple(out[2])
    return out


def _ext_hook(code: int, data: bytes) -> Any:  # noqa: C901 - one dispatch table
    if code == EXT_TUPLE:
        return tuple(_unpackb(data))
    if code == EXT_SET:
        return set(_unpackb(data))
    if code == EXT_FROZENSET:
        return frozenset(_unpackb(data))
    if code == EXT_BIGINT:
        return int(data.decode())
    if code == EXT_DATETIME:
        *parts, fold, tz = _unpackb(data)
        return dt.datetime(*parts, tzinfo=_unpack_tz(tz), fold=fold)
    if code == EXT_DATE:
        return dt.date(*_unpackb(data))
    if code == EXT_TIME:
        *parts, fold, tz = _unpackb(data)
        return dt.time(*parts, tzinfo=_unpack_tz(tz), fold=fold)
    if code == EXT_TIMEDELTA:
        days, seconds, micros = _unpackb(data)
        return dt.timedelta(days=days, seconds=seconds, microseconds=micros)
    if code == EXT_DECIMAL:
        return decimal.Decimal(data.decode())
    if code == EXT_COMPLEX:
        real, imag = _unpackb(data)
        return complex(real, imag)
    if code == EXT_NPSCALAR:
        descr, raw = _unpackb(data)
        return np.frombuffer(raw, dtype=_descr(descr))[0]
    if code == EXT_NPARRAY:
        descr, shape, order, raw = _unpackb(data)
        flat = np.frombuffer(raw, dtype=_descr(descr)).copy()
        return flat.reshape(shape, order=order)
    return msgpack.ExtType(code, data)


def _packb(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_default, strict_types=True, use_bin_type=True)


def _unpackb(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext_hook, strict_map_key=False, raw=False)


def pack(obj: Any, kind: str | None = None) -> bytes:
    """Pack ``obj`` (classified ``"plain"`` or ``"ext"`` by :func:`classify`) to bytes.

    Raises TypeError when ``obj`` is not representable (call :func:`classify` first).
    """
    kind = kind or classify(obj)
    if kind is None:
        raise TypeError(f"{type(obj).__qualname__} is not plain data")
    if kind == "plain":
        return msgpack.packb(obj, use_bin_type=True)
    return _packb(obj)


def unpack(data: bytes) -> Any:
    """Unpack bytes produced by :func:`pack`."""
    return _unpackb(data)
