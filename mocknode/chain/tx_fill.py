"""Making, signing and admitting the transactions the chain is asked for.

Split out of :mod:`mocknode.chain.chain` to keep that module a thin front: these are
geth's setDefaults and SignTransaction rules and its pool admission checks, which need
only a few values of the chain (its config, a base fee, a nonce, a gas estimate), so
each function takes those explicitly, or as callables where geth computes them lazily
and in a given order (its errors come in that order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mocknode.chain import fees
from mocknode.chain.args import TxArgs, UnsignedAuthorization
from mocknode.chain.errors import ExecutionFailed, InvalidTxArgs, TxRejected
from mocknode.chain.records import Authorization, Header, Tx
from mocknode.values import replace

if TYPE_CHECKING:
    from mocknode.chain.config import ChainConfig
    from mocknode.chain.state.world import StateReader
    from mocknode.chain.tx.blobs import BlobSidecar
    from mocknode.chain.tx.pool import Pool
    from mocknode.types import Address


def decode_raw(raw: bytes) -> tuple[Tx, BlobSidecar | None]:
    """eth_sendRawTransaction's payload decoded; TxRejected (geth's text) if it is not one."""
    from mocknode.chain.tx import codec as txcodec

    try:
        return txcodec.decode_with_sidecar(raw)
    except txcodec.TxDecodeError as exc:
        raise TxRejected(str(exc)) from None


def fill_and_sign(
    args: TxArgs,
    sender: Address,
    key_of: Callable[[], bytes | None],
    *,
    config: ChainConfig,
    base_fee: Callable[[], int],
    pending_nonce: Callable[[], int],
    estimate_gas: Callable[[TxArgs], int],
    block_gas_limit: int,
    nonce: int | None = None,
    fallback_gas: bool = False,
) -> Tx:
    """geth's setDefaults, then the signature: fees, nonce and gas where absent,
    EIP-7702 authorizations given unsigned signed by the sender. ``key_of`` gives the
    sender's key when it is first needed (eth_signTransaction looks it up only after
    the defaults, as geth does), or None for an impersonated sender. ``fallback_gas``:
    when estimation fails, use ``block_gas_limit``."""
    if args.chain_id is not None and args.chain_id != config.chain_id:
        raise InvalidTxArgs(
            f"chainId does not match node's (have={args.chain_id}, want={config.chain_id})"
        )
    if (
        config.gas_price is not None
        and args.type in (0, 1)
        and args.gas_price is None
        and args.max_fee_per_gas is None
        and args.max_priority_fee_per_gas is None
    ):
        args = replace(args, gas_price=config.gas_price)  # anvil's --gas-price
    fee = fees.fee_defaults(args, base_fee=base_fee(), priority_fee=config.priority_fee)
    if args.nonce is not None:
        nonce = args.nonce
    elif nonce is None:
        nonce = pending_nonce()
    auths: tuple[Authorization, ...] | None = None
    if args.authorization_list is not None:
        # geth: an authorization list (even empty) makes a set-code transaction.
        auths = authorizations(args.authorization_list, key_of, nonce, chain_id=config.chain_id)
        args = replace(args, authorization_list=auths)
    gas = args.gas
    if gas is None:
        try:
            gas = estimate_gas(args)
        except ExecutionFailed:
            if not fallback_gas:
                raise
            gas = block_gas_limit
    from mocknode.chain.tx import build

    tx = build.from_args(
        args,
        sender=sender,
        chain_id=config.chain_id,
        fee=fee,
        nonce=nonce,
        gas=gas,
        authorization_list=auths,
    )
    return build.finish(tx, key_of())


def authorizations(
    given: tuple[Authorization | UnsignedAuthorization, ...],
    key_of: Callable[[], bytes | None],
    tx_nonce: int,
    *,
    chain_id: int,
) -> tuple[Authorization, ...]:
    """Signed authorizations as given; unsigned ones signed by the sender, by default
    for this chain and for the nonce its account has once the transaction's own
    nonce is spent (the authority of a self-sponsored delegation). An impersonated
    sender has no key to sign with: its authorizations must come signed."""
    from mocknode.chain.tx.authorizations import sign_authorization

    out = []
    for auth in given:
        if isinstance(auth, UnsignedAuthorization):
            key = key_of()
            if key is None:
                raise InvalidTxArgs("cannot sign an authorization for an impersonated account")
            auth = sign_authorization(
                key,
                chain_id=chain_id if auth.chain_id is None else auth.chain_id,
                address=auth.address,
                nonce=tx_nonce + 1 if auth.nonce is None else auth.nonce,
            )
        out.append(auth)
    return tuple(out)


def check_sign_args(args: TxArgs) -> None:
    """eth_signTransaction's required fields, geth's texts in geth's order."""
    if args.gas is None:
        raise InvalidTxArgs("gas not specified")
    if args.gas_price is None and (
        args.max_priority_fee_per_gas is None or args.max_fee_per_gas is None
    ):
        raise InvalidTxArgs("missing gasPrice or maxFeePerGas/maxPriorityFeePerGas")
    if args.nonce is None:
        raise InvalidTxArgs("nonce not specified")


def admit(
    tx: Tx,
    *,
    reader: StateReader,
    pool: Pool,
    head: Header,
    base_fee: int,
    config: ChainConfig,
    allow_code: bool,
    sidecar: BlobSidecar | None = None,
    network_size: int = 0,
) -> None:
    """Validate ``tx`` against the latest state (``reader``, on top of ``head``) as
    geth's pool does, with ``base_fee`` the next block's, and pool it."""
    from mocknode.chain.limits import max_initcode_size
    from mocknode.chain.tx import validation

    blob_base_fee = fees.MIN_BLOB_BASE_FEE
    if tx.type == 3:
        blob_base_fee = fees.blob_base_fee(fees.next_excess_blob_gas(head))
    validation.validate_for_pool(
        tx,
        reader=reader,
        base_fee=base_fee,
        chain_id=config.chain_id,
        gas_limit=config.gas_limit,  # the next block's (evm_setBlockGasLimit moves it)
        allow_code=allow_code,
        max_initcode=max_initcode_size(config.code_size_limit),
        blob_base_fee=blob_base_fee,
        sidecar=sidecar,
        network_size=network_size,
    )
    validation.validate_replacement(pool.existing(tx.sender, tx.nonce), tx)
    pool.add(tx)
