"""Typed solver options from plain mappings (case-file tables), with clear errors.

Each solver declares its options as a dataclass; field metadata may carry
``min`` / ``max`` bounds (inclusive) and ``help``. ``typing.Literal`` fields list
their allowed values. :func:`build_options` turns a mapping into that dataclass
or raises ConfigError naming the field and what is allowed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, Literal, get_args, get_origin

from .errors import ConfigError, ErrorCollector


def _type_name(tp) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if get_origin(tp) in (list, tuple):
        return "a list"
    if get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false",
            dict: "a table", type(None): "absent"}.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp, where: str):
    """Return value converted to tp, or raise ConfigError."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in get_args(tp):
            try:
                return _coerce(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    if origin is Literal:
        if value in get_args(tp):
            return value
        raise ConfigError(f"{where}: {value!r} is not allowed; allowed: {_type_name(tp)[7:]}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_tp, *_) = get_args(tp) or (Any,)
        items = [value[i] if item_tp is Any else _coerce(v, item_tp, f"{where}[{i}]")
                 for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is type(None):
        if value is None:
            return None
        raise ConfigError(f"{where}: expected nothing, got {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is dict:
        if isinstance(value, dict):
            return value
    elif tp is Any:
        return value
    else:
        return value
    raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")


def option_fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _nested_table_hint(name: str, value: dict, fields: dict) -> str:
    """How to write a nested table such as ``network = {type = "mlp", widths = [...]}`` flat."""
    flat = [f"{name} = {value[k]!r}" for k in ("type", "kind", "name") if k in value]
    flat += [f"{k} = {v!r}" for k, v in value.items() if k in fields and k != name]
    unknown = [k for k in value if k not in fields and k not in ("type", "kind", "name")]
    hint = f"; write them as flat keys of the table: {', '.join(flat)}" if flat else ""
    if unknown:
        hint += f" ({', '.join(map(repr, unknown))} not an option)"
    return (f"{name}: nested tables are not options{hint}; allowed keys: "
            f"{', '.join(fields)}")


def _check_field(field: dataclasses.Field, tp, value, where: str):
    """The coerced value of one option; ConfigError for a wrong type, bound or length."""
    value = _coerce(value, tp, where)
    lo, hi = field.metadata.get("min"), field.metadata.get("max")
    items = value if isinstance(value, (list, tuple)) else [value]
    if isinstance(value, (list, tuple)) and len(value) < field.metadata.get("min_items", 0):
        raise ConfigError(f"{where}: needs at least {field.metadata['min_items']} value(s), "
                          f"got {value!r}")
    for v in items:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if not math.isfinite(v):
                raise ConfigError(f"{where}: must be {number_range(lo, hi)}, got {v!r}")
            if lo is not None and v < lo:
                raise ConfigError(f"{where}: must be >= {lo}, got {v!r}")
            if hi is not None and v > hi:
                raise ConfigError(f"{where}: must be <= {hi}, got {v!r}")
    return value


def number_range(lo=None, hi=None) -> str:
    """'a finite number', with its bounds: '... >= 0', '... between 1e-16 and 1'."""
    if lo is not None and hi is not None:
        return f"a finite number between {lo:g} and {hi:g}"
    bound = f" >= {lo:g}" if lo is not None else f" <= {hi:g}" if hi is not None else ""
    return f"a finite number{bound}"


def build_options(cls, mapping: dict | None = None, where: str = "options"):
    """Instantiate the options dataclass ``cls`` from ``mapping``, validating every field.

    Raises one ConfigError listing every mistake (unknown options, wrong types, values
    out of bounds), each naming the field and what is allowed.
    """
    mapping = dict(mapping or {})
    fields = option_fields(cls)
    hints = _type_hints(cls)
    errors = ErrorCollector()
    values = {}
    for name, value in mapping.items():
        with errors.check():
            if name in fields and isinstance(value, dict) and not is_table_option(cls, name):
                raise ConfigError(f"{where}.{_nested_table_hint(name, value, fields)}")
            if name not in fields:
                hint = (f" (a nested table: {_nested_table_hint(name, value, fields)})"
                        if isinstance(value, dict) else "")
                raise ConfigError(f"{where}: unknown option {name!r}; allowed: "
                                  f"{', '.join(fields)}{hint}")
            values[name] = _check_field(fields[name], hints[name], value, f"{where}.{name}")
    errors.raise_any()
    return cls(**values)


@functools.cache
def _type_hints(cls) -> dict:
    """``typing.get_type_hints(cls)``, resolved once per options class (it compiles every
    string annotation: a fifth of a small FEM solve's time)."""
    return typing.get_type_hints(cls)


def _alternatives(cls, name: str) -> tuple:
    tp = _type_hints(cls).get(name)
    return get_args(tp) if get_origin(tp) in (typing.Union, types.UnionType) else (tp,)


def is_list_option(cls, name: str) -> bool:
    """True when the option's own value is a list (so a sweep over it is a list of lists)."""
    return any(get_origin(a) in (list, tuple) for a in _alternatives(cls, name))


def is_table_option(cls, name: str) -> bool:
    """True when the option's value may be a table (a solver table, such as Jacobi's
    ``initial``: lists inside it are swept like the solver's own options)."""
    return dict in _alternatives(cls, name)


def describe_options(cls) -> list[tuple[str, str, Any, str]]:
    """(name, type description, default, help) for each option, for `pdesolve list`."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        rows.append((f.name, _type_name(hints[f.name]), default, f.metadata.get("help", "")))
    return rows


def opt(default, *, help: str = "", min=None, max=None,  # noqa: A002 - mirrors dataclasses.field
        min_items: int | None = None):
    """A dataclass field with validation metadata (``min_items``: shortest allowed list)."""
    meta = {"help": help}
    if min_items is not None:
        meta["min_items"] = min_items
    if min is not None:
        meta["min"] = min
    if max is not None:
        meta["max"] = max
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)
