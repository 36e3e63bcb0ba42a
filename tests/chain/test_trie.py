"""The persistent Merkle-Patricia trie against py-trie's reference implementation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from mocknode.chain.primitives import rlp, trie
from mocknode.chain.primitives.hashing import BLANK_ROOT

keys = st.binary(min_size=1, max_size=6)
values = st.binary(min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=60))
def test_root_matches_reference_after_any_puts_and_deletes(
    ops: list[tuple[bytes, bytes | None]],
) -> None:
    reference = HexaryTrie({})
    node = None
    for key, value in ops:
        if value is None:
            del reference[key]
            node = trie.delete(node, trie.to_nibbles(key))
        else:
            reference[key] = value
            node = trie.put(node, trie.to_nibbles(key), value)
    assert trie.root_hash(node) == reference.root_hash
    for key, _ in ops:
        assert trie.get(node, trie.to_nibbles(key)) == (reference[key] or None)


def test_old_roots_stay_valid_after_updates() -> None:
    first = trie.put(None, trie.to_nibbles(b"\x01\x02"), b"one")
    second = trie.put(first, trie.to_nibbles(b"\x01\x03"), b"two")
    third = trie.delete(second, trie.to_nibbles(b"\x01\x02"))
    assert trie.get(first, trie.to_nibbles(b"\x01\x03")) is None
    assert trie.get(second, trie.to_nibbles(b"\x01\x02")) == b"one"
    assert trie.get(third, trie.to_nibbles(b"\x01\x02")) is None
    assert trie.root_hash(trie.delete(third, trie.to_nibbles(b"\x01\x03"))) == BLANK_ROOT


def test_proof_nodes_lead_from_root_to_value() -> None:
    reference = HexaryTrie({})
    node = None
    for i in range(50):
        key = bytes([i, i * 7 % 256, 3])
        reference[key] = b"v" * (i + 1)
        node = trie.put(node, trie.to_nibbles(key), b"v" * (i + 1))
    key = bytes([10, 70, 3])
    proof = [rlp.decode(n) for n in trie.proof(node, trie.to_nibbles(key))]
    assert HexaryTrie.get_from_proof(trie.root_hash(node), key, proof) == b"v" * 11
