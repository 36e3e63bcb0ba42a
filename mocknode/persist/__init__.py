"""State on disk: the chain saved to a file and read back, and geth genesis files.

A layer of its own between the JSON-RPC methods and the chain, because a file format is
an edge like the wire: hex strings and JSON live here and nowhere below (the chain's
import contract forbids ``json``), and both the node (``--dump-state``, ``--load-state``,
``--state``, ``--state-interval``, ``--init``) and the RPC methods (``anvil_dumpState``,
``anvil_loadState``) use it.

- :mod:`.codec`: blocks, transactions, receipts, state diffs and the pool as JSON values.
- :mod:`.document`: a whole chain as one versioned document, and back.
- :mod:`.files`: documents as bytes (JSON, gzip), written atomically.
- :mod:`.genesis_file`: geth's ``genesis.json`` read into a chain config.

The format is described in ``docs/state-and-time.md``.
"""
