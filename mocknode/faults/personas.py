"""Provider flavours: the error objects and limits of geth, Infura, Alchemy and erigon.

Client code classifies failures by matching error codes and message text (web3.py, ethers,
viem, and every log indexer that halves its ``eth_getLogs`` range on "query returned more
than 10000 results"), so a fault that claims to be Infura's must say exactly what Infura says.
Each :class:`ErrorTemplate` records where its text comes from:

* geth: go-ethereum's source (``rpc/errors.go``, ``eth/filters``, ``core/txpool``,
  ``trie/errors.go``); the pool messages are the prefixes geth starts them with (geth
  appends details such as ``: address 0x..., tx: 0 state: 1`` to some, and clients match
  the prefix).
* Infura: its "Avoid rate limiting" page (HTTP 429 carrying ``-32005`` and the
  ``current_rps``/``allowed_rps``/``backoff_seconds`` data) and its ``eth_getLogs`` reference
  (``-32005 "query returned more than 10000 results"``, ``"query timeout exceeded"``).
* Alchemy: its "Throughput" page (HTTP 429; over WebSocket an error with code ``429`` and the
  compute-units text) and the ``eth_getLogs`` refusals its endpoints send, as documented and
  as quoted by the indexers that parse them (the "this block range should work: [0x.., 0x..]"
  suffix is what ponder and others read to retry).
* erigon: ``rpc/handler.go`` in erigon 2.x: a batch over ``--rpc.batch.limit`` (default 100)
  gets one error *object* (not an array) with ``id: null`` and geth's default code ``-32000``.

These are the providers' documented texts to the best of our knowledge at the time of
writing; providers change wording, so each template names its source. The numeric limits of a
:class:`Persona` (batch sizes, log caps, filter timeouts) are the documented defaults; rate
limits depend on the customer's plan, so the persona's ``rate`` is a representative value
(Infura's documented example of 10 requests per second; Alchemy's free tier of 500 compute
units per second with a 10-second bucket, about 20 ``eth_call`` a second), meant to be
overridden by an explicit ``rate_limit`` rule when a test needs a particular number.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

from mocknode.faults.params import to_json
from mocknode.values import dataclass, field

__all__ = [
    "PERSONAS",
    "TEMPLATES",
    "ErrorTemplate",
    "Persona",
    "error_object",
    "rate_limit_template",
]


@dataclass(frozen=True, slots=True)
class ErrorTemplate:
    """A provider's error object. ``message`` may hold ``{placeholders}``; ``example`` gives
    each a value, used unless :meth:`render` is given another (the wiring fills in the real
    block range or limit where it knows it)."""

    name: str
    code: int
    message: str
    source: str
    data: Any = None
    http_status: int | None = None
    example: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def render(self, **values: object) -> dict[str, Any]:
        """``{"code", "message"[, "data"]}`` with the placeholders filled in."""
        filled = {**self.example, **{k: str(v) for k, v in values.items()}}
        error: dict[str, Any] = {"code": self.code, "message": self.message.format(**filled)}
        if self.data is not None:
            error["data"] = to_json(self.data)
        return error


def _t(
    name: str,
    code: int,
    message: str,
    source: str,
    *,
    data: Any = None,
    http_status: int | None = None,
    **example: str,
) -> ErrorTemplate:
    return ErrorTemplate(
        name, code, message, source, data, http_status, MappingProxyType(dict(example))
    )


_GETH_POOL = "go-ethereum core/txpool/errors.go, core/error.go"

_TEMPLATE_LIST: Final = (
    # --- geth
    _t("geth.header_not_found", -32000, "header not found", "go-ethereum internal/ethapi"),
    _t(
        "geth.missing_trie_node",
        -32000,
        "missing trie node {node} (path ) <nil>",
        "go-ethereum trie/errors.go MissingNodeError (hash scheme)",
        node="9f6a0e8ac6c2ef4a6a78d1c26a3f0c3ba6d2b6e5e0f3b0a6f0d1a7d8e3c4b5a6",
    ),
    _t("geth.filter_not_found", -32000, "filter not found", "go-ethereum eth/filters/api.go"),
    _t("geth.request_timed_out", -32002, "request timed out", "go-ethereum rpc/errors.go"),
    _t(
        "geth.batch_too_large",
        -32600,
        "batch too large",
        "go-ethereum rpc/errors.go (sent as a one-element array)",
    ),
    _t("geth.response_too_large", -32003, "response too large", "go-ethereum rpc/errors.go"),
    _t("geth.exceed_max_topics", -32000, "exceed max topics", "go-ethereum eth/filters"),
    _t(
        "geth.invalid_block_range",
        -32000,
        "invalid block range params",
        "go-ethereum eth/filters",
    ),
    _t(
        "geth.execution_reverted",
        3,
        "execution reverted",
        "go-ethereum internal/ethapi",
        data="0x",
    ),
    _t("geth.nonce_too_low", -32000, "nonce too low", _GETH_POOL),
    _t("geth.nonce_too_high", -32000, "nonce too high", _GETH_POOL),
    _t("geth.already_known", -32000, "already known", _GETH_POOL),
    _t(
        "geth.replacement_underpriced",
        -32000,
        "replacement transaction underpriced",
        _GETH_POOL,
    ),
    _t(
        "geth.insufficient_funds",
        -32000,
        "insufficient funds for gas * price + value",
        _GETH_POOL,
    ),
    _t("geth.intrinsic_gas_too_low", -32000, "intrinsic gas too low", _GETH_POOL),
    _t(
        "geth.fee_cap_too_low",
        -32000,
        "max fee per gas less than block base fee",
        _GETH_POOL,
    ),
    _t("geth.underpriced", -32000, "transaction underpriced", _GETH_POOL),
    _t("geth.gas_limit", -32000, "exceeds block gas limit", _GETH_POOL),
    _t("geth.txpool_full", -32000, "txpool is full", _GETH_POOL),
    # --- Infura
    _t(
        "infura.rate_limited",
        -32005,
        "project ID request rate exceeded",
        "Infura docs, Avoid rate limiting (HTTP 429)",
        data=MappingProxyType(
            {
                "see": "https://infura.io/docs/ethereum/jsonrpc/ratelimits",
                "current_rps": 13.333,
                "allowed_rps": 10.0,
                "backoff_seconds": 30.0,
            }
        ),
        http_status=429,
    ),
    _t(
        "infura.daily_limit",
        -32005,
        "daily request count exceeded, request rate limited",
        "Infura docs, Avoid rate limiting (HTTP 429)",
        http_status=429,
    ),
    _t(
        "infura.limit_exceeded",
        -32005,
        "query returned more than {limit} results",
        "Infura docs, eth_getLogs constraints",
        limit="10000",
    ),
    _t(
        "infura.query_timeout",
        -32005,
        "query timeout exceeded",
        "Infura docs, eth_getLogs constraints",
    ),
    # --- Alchemy
    _t(
        "alchemy.rate_limited",
        429,
        "Your app has exceeded its compute units per second capacity. If you have retries "
        "enabled, you can safely ignore this message. If not, check out "
        "https://docs.alchemy.com/reference/throughput",
        "Alchemy docs, Throughput (HTTP 429; this object over WebSocket)",
        http_status=429,
    ),
    _t(
        "alchemy.logs_response_size",
        -32602,
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
        "range and no limit on the response size, or you can request any block range with a "
        "cap of 10K logs in the response. Based on your parameters, this block range should "
        "work: [{from_block}, {to_block}]",
        "Alchemy eth_getLogs refusal (paid tiers), as quoted by indexers that parse it",
        from_block="0x0",
        to_block="0x7cf",
    ),
    _t(
        "alchemy.logs_block_range",
        -32600,
        "Under the Free tier plan, you can make eth_getLogs requests with up to a {limit} "
        "block range. Based on your parameters, this block range should work: "
        "[{from_block}, {to_block}]. Upgrade to PAYG for expanded block range.",
        "Alchemy eth_getLogs refusal (free tier), as captured by its users",
        limit="10",
        from_block="0x0",
        to_block="0x9",
    ),
    # --- erigon
    _t(
        "erigon.batch_limit",
        -32000,
        "batch limit {limit} exceeded (can increase by --rpc.batch.limit). "
        "Requested batch of size: {size}",
        "erigon 2.x rpc/handler.go (one object, id null, not an array)",
        limit="100",
        size="101",
    ),
)

TEMPLATES: Final[Mapping[str, ErrorTemplate]] = MappingProxyType(
    {template.name: template for template in _TEMPLATE_LIST}
)
"""Every template by its name, ``provider.error`` (``"infura.limit_exceeded"``)."""

BatchShape = Literal["geth", "erigon", "close"]
LogsErrorWhen = Literal["either", "both"]


@dataclass(frozen=True, slots=True)
class Persona:
    """A provider's limits and error shapes. ``None`` means the provider imposes no such limit
    (or documents none).

    ``logs_error_when``: ``"either"`` refuses ``eth_getLogs`` when the block range or the
    result count passes its cap; ``"both"`` only when both do (Alchemy serves any range under
    10K results and any result count within 2K blocks).
    """

    name: str
    batch_limit: int | None
    batch_shape: BatchShape
    ws_batch_limit: int | None
    batch_response_limit: int | None
    logs_block_range: int | None
    logs_result_cap: int | None
    logs_error_when: LogsErrorWhen
    logs_range_template: str | None
    logs_results_template: str | None
    rate: float | None
    burst: int | None
    rate_limit_template: str | None
    filter_timeout: float | None

    def templates(self) -> tuple[ErrorTemplate, ...]:
        """This provider's error templates."""
        return tuple(t for t in _TEMPLATE_LIST if t.name.startswith(self.name + "."))


PERSONAS: Final[Mapping[str, Persona]] = MappingProxyType(
    {
        "geth": Persona(
            name="geth",
            batch_limit=1000,
            batch_shape="geth",
            ws_batch_limit=None,
            batch_response_limit=25_000_000,
            logs_block_range=None,
            logs_result_cap=None,
            logs_error_when="either",
            logs_range_template=None,
            logs_results_template=None,
            rate=None,
            burst=None,
            rate_limit_template=None,
            filter_timeout=300.0,
        ),
        "infura": Persona(
            name="infura",
            batch_limit=None,
            batch_shape="geth",
            ws_batch_limit=None,
            batch_response_limit=None,
            logs_block_range=None,
            logs_result_cap=10_000,
            logs_error_when="either",
            logs_range_template=None,
            logs_results_template="infura.limit_exceeded",
            rate=10.0,
            burst=10,
            rate_limit_template="infura.rate_limited",
            filter_timeout=900.0,
        ),
        "alchemy": Persona(
            name="alchemy",
            batch_limit=1000,
            batch_shape="geth",
            ws_batch_limit=20,
            batch_response_limit=None,
            logs_block_range=2000,
            logs_result_cap=10_000,
            logs_error_when="both",
            logs_range_template="alchemy.logs_response_size",
            logs_results_template="alchemy.logs_response_size",
            rate=20.0,
            burst=200,
            rate_limit_template="alchemy.rate_limited",
            filter_timeout=None,
        ),
        "erigon": Persona(
            name="erigon",
            batch_limit=100,
            batch_shape="erigon",
            ws_batch_limit=None,
            batch_response_limit=None,
            logs_block_range=None,
            logs_result_cap=None,
            logs_error_when="either",
            logs_range_template=None,
            logs_results_template=None,
            rate=None,
            burst=None,
            rate_limit_template=None,
            filter_timeout=None,
        ),
    }
)

RateLimitReply = Literal["http_429", "json_rpc", "batch_item"]


def rate_limit_template(reply: RateLimitReply, template: str | None) -> ErrorTemplate:
    """The error a ``rate_limit`` rule answers with: its ``template``, else Infura's shape
    for ``http_429``/``json_rpc`` and Alchemy's ``{code: 429}`` for ``batch_item``."""
    if template is not None:
        return TEMPLATES[template]
    return TEMPLATES["alchemy.rate_limited" if reply == "batch_item" else "infura.rate_limited"]


def error_object(params: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-RPC error object of an ``error`` action: its ``template`` (if any) with
    ``code``/``message``/``data`` given in the action taking precedence."""
    template = params.get("template")
    base = TEMPLATES[template].render() if template is not None else {}
    for key in ("code", "message", "data"):
        if params.get(key) is not None:
            base[key] = to_json(params[key])
    return base
