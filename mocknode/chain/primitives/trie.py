"""A persistent Merkle-Patricia trie, kept in memory, hashed incrementally.

Why not py-trie's ``HexaryTrie``: it stores nodes by hash in a key-value database and
re-encodes and re-hashes the whole path on every write (~375 µs per account update
with 1,000 accounts on the reference machine). Here nodes are immutable Python
objects: an update copies the nodes on its path (path copying), every node caches its
reference (its hash) once computed, and the root hash is computed on demand, so a block
that touches three accounts hashes about a dozen small nodes. Old roots stay valid
(nothing is mutated), which is what snapshots, reorgs and ``eth_getProof`` at past
blocks need: keeping a root object keeps its whole trie.

Keys are nibble strings: ``bytes`` where every byte is 0..15.
"""

from __future__ import annotations

from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_RLP, keccak

_NIBBLES = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))


def to_nibbles(key: bytes) -> bytes:
    """One byte per nibble; hex() and translate() keep it in C (~0.3 µs for 32 bytes)."""
    return key.hex().encode().translate(_NIBBLES)


_TO_HEX = bytes.maketrans(bytes(range(16)), b"0123456789abcdef")


def _hex_prefix(nibbles: bytes, leaf: bool) -> bytes:
    """Compact (hex-prefix) encoding of a nibble path, flagged leaf or extension."""
    flag = 2 if leaf else 0
    if len(nibbles) % 2:
        prefixed = bytes((flag + 1,)) + nibbles
    else:
        prefixed = bytes((flag, 0)) + nibbles
    return bytes.fromhex(prefixed.translate(_TO_HEX).decode())


class Node:
    """A trie node; it caches how its parent embeds it, not its own encoding.

    Every block keeps the nodes its writes created (old roots stay readable), so what a
    node holds is paid once per node per block forever. Its reference (the hash, or the
    encoding itself when under 32 bytes) is all that parents and roots need; the full
    encoding, up to ~530 bytes for a branch, is recomputed on the rare paths that want
    it (proofs). Keeping only the reference took a third off the memory a long chain of
    blocks costs (EIP-2935/4788 system storage grows every block).
    """

    __slots__ = ("_reference",)

    def __init__(self) -> None:
        self._reference: bytes | None = None

    def encoded(self) -> bytes:
        ref = self._reference
        if ref is not None and len(ref) < 32:
            return ref  # an inline node's reference is its encoding
        return self._encode()

    def reference(self) -> bytes:
        """How a parent embeds this node: inline when short, else by hash (RLP-encoded)."""
        ref = self._reference
        if ref is None:
            enc = self._encode()
            ref = self._reference = enc if len(enc) < 32 else b"\xa0" + keccak(enc)
        return ref

    def _encode(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError


class Leaf(Node):
    __slots__ = ("path", "value")

    def __init__(self, path: bytes, value: bytes) -> None:
        super().__init__()
        self.path = path
        self.value = value

    def _encode(self) -> bytes:
        return rlp.encode_list(
            (rlp.encode_bytes(_hex_prefix(self.path, True)), rlp.encode_bytes(self.value))
        )


class Extension(Node):
    __slots__ = ("child", "path")

    def __init__(self, path: bytes, child: Node) -> None:
        super().__init__()
        self.path = path
        self.child = child

    def _encode(self) -> bytes:
        return rlp.encode_list(
            (rlp.encode_bytes(_hex_prefix(self.path, False)), self.child.reference())
        )


class Branch(Node):
    __slots__ = ("children", "value")

    def __init__(self, children: tuple[Node | None, ...], value: bytes | None) -> None:
        super().__init__()
        self.children = children
        self.value = value

    def _encode(self) -> bytes:
        items = [EMPTY_RLP if c is None else c.reference() for c in self.children]
        items.append(EMPTY_RLP if self.value is None else rlp.encode_bytes(self.value))
        return rlp.encode_list(items)


_EMPTY_CHILDREN: tuple[Node | None, ...] = (None,) * 16


def root_hash(node: Node | None) -> bytes:
    if node is None:
        return BLANK_ROOT
    ref = node.reference()
    return ref[1:] if len(ref) == 33 else keccak(ref)  # hashed, or a short inline root


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _with_prefix(prefix: bytes, node: Node) -> Node:
    """``node`` reached through ``prefix`` extra nibbles, merging short paths."""
    if not prefix:
        return node
    if isinstance(node, Leaf):
        return Leaf(prefix + node.path, node.value)
    if isinstance(node, Extension):
        return Extension(prefix + node.path, node.child)
    return Extension(prefix, node)


def put(node: Node | None, path: bytes, value: bytes) -> Node:
    """A new trie equal to ``node`` with ``path`` set to ``value`` (non-empty)."""
    if node is None:
        return Leaf(path, value)
    if isinstance(node, Leaf):
        if node.path == path:
            return Leaf(path, value)
        n = _common_prefix(node.path, path)
        children = list(_EMPTY_CHILDREN)
        branch_value = None
        for p, v in ((node.path, node.value), (path, value)):
            rest = p[n:]
            if rest:
                children[rest[0]] = Leaf(rest[1:], v)
            else:
                branch_value = v
        return _with_prefix(path[:n], Branch(tuple(children), branch_value))
    if isinstance(node, Extension):
        n = _common_prefix(node.path, path)
        if n == len(node.path):
            return Extension(node.path, put(node.child, path[n:], value))
        children = list(_EMPTY_CHILDREN)
        children[node.path[n]] = _with_prefix(node.path[n + 1 :], node.child)
        rest = path[n:]
        branch_value = None
        if rest:
            children[rest[0]] = Leaf(rest[1:], value)
        else:
            branch_value = value
        return _with_prefix(path[:n], Branch(tuple(children), branch_value))
    assert isinstance(node, Branch)
    if not path:
        return Branch(node.children, value)
    children = list(node.children)
    children[path[0]] = put(children[path[0]], path[1:], value)
    return Branch(tuple(children), node.value)


def _normalize_branch(children: list[Node | None], value: bytes | None) -> Node | None:
    live = [i for i, c in enumerate(children) if c is not None]
    if value is None and len(live) == 1:
        only = live[0]
        child = children[only]
        assert child is not None
        return _with_prefix(bytes((only,)), child)
    if value is not None and not live:
        return Leaf(b"", value)
    if value is None and not live:
        return None
    return Branch(tuple(children), value)


def delete(node: Node | None, path: bytes) -> Node | None:
    """A new trie equal to ``node`` without ``path`` (unchanged if absent)."""
    if node is None:
        return None
    if isinstance(node, Leaf):
        return None if node.path == path else node
    if isinstance(node, Extension):
        if path[: len(node.path)] != node.path:
            return node
        child = delete(node.child, path[len(node.path) :])
        if child is node.child:
            return node
        return None if child is None else _with_prefix(node.path, child)
    assert isinstance(node, Branch)
    if not path:
        if node.value is None:
            return node
        return _normalize_branch(list(node.children), None)
    old = node.children[path[0]]
    new = delete(old, path[1:])
    if new is old:
        return node
    children = list(node.children)
    children[path[0]] = new
    return _normalize_branch(children, node.value)


def get(node: Node | None, path: bytes) -> bytes | None:
    while node is not None:
        if isinstance(node, Leaf):
            return node.value if node.path == path else None
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                return None
            path = path[len(node.path) :]
            node = node.child
            continue
        assert isinstance(node, Branch)
        if not path:
            return node.value
        node = node.children[path[0]]
        path = path[1:]
    return None


def proof(node: Node | None, path: bytes) -> list[bytes]:
    """Encoded nodes from the root towards ``path`` (an EIP-1186 proof)."""
    out: list[bytes] = []
    first = True
    while node is not None:
        enc = node.encoded()
        if first or len(enc) >= 32:
            out.append(enc)
        first = False
        if isinstance(node, Leaf):
            break
        if isinstance(node, Extension):
            if path[: len(node.path)] != node.path:
                break
            path = path[len(node.path) :]
            node = node.child
            continue
        assert isinstance(node, Branch)
        if not path:
            break
        node = node.children[path[0]]
        path = path[1:]
    return out
