"""Whom eth_sendTransaction may send for: the dev keys, and impersonated accounts.

A dev account's transactions are signed with its key. An impersonated account (anvil's
``anvil_impersonateAccount``, or every address under ``anvil_autoImpersonateAccount`` /
``--auto-impersonate``) sends without one: its transactions carry anvil's placeholder
signature (:func:`mocknode.chain.tx.codec.impersonate`) and skip EIP-3607, so a contract
can send too. A dev account stays signed with its key even when impersonated (anvil
fakes those too), so its transactions remain valid signed transactions anywhere.

Impersonation is part of what a snapshot takes (:meth:`Signers.capture`): a test that
impersonates leaves nothing behind for the next one. anvil keeps it across reverts.
"""

from __future__ import annotations

from collections.abc import Iterable

from mocknode.chain.errors import UnknownAccount
from mocknode.chain.tx.keys import DevAccount
from mocknode.types import Address


class Signers:
    def __init__(self, accounts: Iterable[DevAccount], *, auto_impersonate: bool = False) -> None:
        self._keys = {account.address: account.private_key for account in accounts}
        # By name, in the order impersonated: eth_accounts lists them (as anvil does).
        self._named: dict[Address, None] = {}
        self.auto_impersonate = auto_impersonate

    def key_for(self, sender: Address) -> bytes | None:
        """The key to sign with, or None to impersonate; raises ``unknown account``
        when the node may not send for ``sender`` at all (geth's words)."""
        key = self._keys.get(sender)
        if key is None and not self.is_impersonated(sender):
            raise UnknownAccount("unknown account")
        return key

    def dev_key(self, address: Address) -> bytes | None:
        """The dev key of ``address``, if the node holds it."""
        return self._keys.get(address)

    def is_impersonated(self, address: Address) -> bool:
        return self.auto_impersonate or address in self._named

    def impersonate(self, address: Address) -> None:
        self._named[address] = None

    def stop_impersonating(self, address: Address) -> None:
        self._named.pop(address, None)

    def listed(self) -> list[Address]:
        """eth_accounts, as anvil answers it: the dev accounts, then the accounts
        impersonated by name (not those only auto-impersonation covers)."""
        return [*self._keys, *(address for address in self._named if address not in self._keys)]

    def capture(self) -> tuple[tuple[Address, ...], bool]:
        return tuple(self._named), self.auto_impersonate

    def restore(self, token: tuple[tuple[Address, ...], bool]) -> None:
        named, self.auto_impersonate = token
        self._named = dict.fromkeys(named)
