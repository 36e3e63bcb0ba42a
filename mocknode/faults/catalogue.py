"""The catalogue: every fault kind mocknode knows, as data.

One :class:`KindSpec` per kind of fault a real node or provider shows a client (transport,
JSON-RPC, chain): its parameters with types and defaults, the transports it applies to, the
layer that applies it, the point at which the engine decides it, and the real incident it
models. Validation (:func:`parse_params`), the engine's filters and the reference table in
``docs/faults.md`` (:func:`reference_table`, checked by ``tests/faults``) all read this one
table, so a kind cannot be documented one way and behave another.

Kinds that only make sense for some methods declare them (``methods``): a ``pool_error`` rule
is only consulted for ``eth_sendTransaction``/``eth_sendRawTransaction``, so its triggers
count only those calls. Kinds whose parameters filter the event (a notification's
subscription kind, a transaction's hash or sender, a batch longer than a limit) declare
``applies``; an event they do not apply to is not counted either. What a kind record holds,
and the layers that apply kinds, are described in :mod:`mocknode.faults.spec`; the kinds
themselves live in one module per faults.md table (``kinds_transport``, ``kinds_jsonrpc``,
``kinds_chain``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.faults.kinds_chain import (
    CHAIN_KINDS,
    FILTER_METHODS,
    INDEX_METHODS,
    POOL_REASONS,
    READ_METHODS,
    SEND_METHODS,
    STATE_METHODS,
)
from mocknode.faults.kinds_jsonrpc import JSONRPC_KINDS
from mocknode.faults.kinds_transport import SUBSCRIPTION_KINDS, TRANSPORT_KINDS
from mocknode.faults.personas import PERSONAS, TEMPLATES
from mocknode.faults.spec import KindSpec, Layer, Params, Table, sample_seconds

__all__ = [
    "CATALOGUE",
    "FILTER_METHODS",
    "INDEX_METHODS",
    "KINDS",
    "POOL_REASONS",
    "READ_METHODS",
    "SEND_METHODS",
    "STATE_METHODS",
    "SUBSCRIPTION_KINDS",
    "KindSpec",
    "Layer",
    "Table",
    "parse_params",
    "reference_table",
    "sample_seconds",
    "spec_for",
    "templates_table",
]

_KIND_LIST: Final[tuple[KindSpec, ...]] = TRANSPORT_KINDS + JSONRPC_KINDS + CHAIN_KINDS

CATALOGUE: Final[Mapping[str, KindSpec]] = MappingProxyType({k.name: k for k in _KIND_LIST})
KINDS: Final[tuple[str, ...]] = tuple(CATALOGUE)


# ----------------------------------------------------------------------- validation


def spec_for(kind: object, path: str = "kind") -> KindSpec:
    """The kind's spec; an unknown kind raises :class:`FaultSpecError` with a suggestion."""
    if not isinstance(kind, str):
        raise FaultSpecError(path, f"expected a fault kind (a string), got {show(kind)}")
    spec = CATALOGUE.get(kind)
    if spec is None:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise FaultSpecError(
            path, f"unknown fault kind {show(kind)}{hint} (the kinds are listed in docs/faults.md)"
        )
    return spec


def parse_params(spec: KindSpec, raw: Mapping[str, object], path: str = "") -> Params:
    """Validated parameters with defaults filled in, as an immutable mapping in the
    catalogue's order. Unknown names, wrong types, out-of-range values and inconsistent
    combinations raise :class:`FaultSpecError` naming the field."""
    known = {param.name for param in spec.params}
    for name in raw:
        if name not in known:
            allowed = ", ".join(sorted(known)) if known else "none"
            raise FaultSpecError(
                join_path(path, str(name)),
                f"unknown parameter of {spec.name} (its parameters: {allowed})",
            )
    values: dict[str, Any] = {}
    for param in spec.params:
        where = join_path(path, param.name)
        if param.name in raw and raw[param.name] is not None:
            values[param.name] = param.type.parse(raw[param.name], where)
        elif param.required:
            raise FaultSpecError(where, f"required by {spec.name}")
        else:
            values[param.name] = param.default
    frozen = MappingProxyType(values)
    if spec.check is not None:
        spec.check(frozen, path)
    return frozen


# ----------------------------------------------------------------------- reference tables

_TABLE_TITLES: Final = {
    "transport": "Transport faults",
    "json-rpc": "JSON-RPC faults",
    "chain": "Chain faults",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_table() -> str:
    """The kinds as the Markdown tables of ``docs/faults.md`` (one per faults.md table)."""
    out: list[str] = []
    for table, title in _TABLE_TITLES.items():
        out += [
            f"### {title}",
            "",
            "| kind | parameters | transports | layer · decided at | what the client sees "
            "| real incident it models |",
            "|---|---|---|---|---|---|",
        ]
        for spec in _KIND_LIST:
            if spec.table != table:
                continue
            params = "<br>".join(_cell(p.describe()) for p in spec.params) or "—"
            transports = ", ".join(spec.transports) if spec.transports else "— (chain)"
            points = " / ".join(spec.points)
            if spec.methods is not None:
                points += "<br>only " + ", ".join(f"`{m}`" for m in spec.methods)
            out.append(
                f"| `{spec.name}` | {params} | {transports} | {spec.layer} · {points} "
                f"| {_cell(spec.summary)} | {_cell(spec.incident)} |"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def templates_table() -> str:
    """The provider error templates and persona limits as Markdown."""
    out = [
        "| template | code | message | HTTP status | source |",
        "|---|---|---|---|---|",
    ]
    for template in TEMPLATES.values():
        status = str(template.http_status) if template.http_status is not None else "200"
        out.append(
            f"| `{template.name}` | {template.code} | `{_cell(template.message)}` | {status} "
            f"| {_cell(template.source)} |"
        )
    out += [
        "",
        "| persona | batch limit | batch shape | WS batch limit | `eth_getLogs` block range "
        "| `eth_getLogs` results | refused when | rate (req/s) · burst | filter timeout (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def num(value: float | None) -> str:
        if value is None:
            return "—"
        return str(int(value)) if float(value).is_integer() else str(value)

    when = {"either": "either cap passed", "both": "both caps passed"}
    for persona in PERSONAS.values():
        rate = f"{num(persona.rate)} · {num(persona.burst)}" if persona.rate else "—"
        out.append(
            f"| `{persona.name}` | {num(persona.batch_limit)} | {persona.batch_shape} "
            f"| {num(persona.ws_batch_limit)} | {num(persona.logs_block_range)} "
            f"| {num(persona.logs_result_cap)} | {when[persona.logs_error_when]} | {rate} "
            f"| {num(persona.filter_timeout)} |"
        )
    return "\n".join(out) + "\n"
