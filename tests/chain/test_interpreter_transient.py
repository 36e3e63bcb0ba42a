"""The dict-backed transient storage against py-evm's JournalDB-backed one, op by op."""

from __future__ import annotations

from eth.vm.transient_storage import TransientStorage as Reference
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.chain.evm.interpreter_transient import TransientStorage

A, B = b"\x01" * 20, b"\x02" * 20

_op = st.one_of(
    st.tuples(
        st.just("set"),
        st.sampled_from([A, B]),
        st.integers(0, 3),
        st.binary(min_size=1, max_size=2),
    ),
    st.tuples(st.just("record")),
    st.tuples(st.just("commit")),
    st.tuples(st.just("discard")),
    st.tuples(st.just("clear")),
)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(_op, max_size=40))
def test_same_reads_as_py_evm_through_nested_checkpoints(ops: list[tuple[object, ...]]) -> None:
    ours, reference = TransientStorage(), Reference()
    open_checkpoints: list[int] = []
    next_id = 1
    for op in ops:
        if op[0] == "set":
            _, address, slot, value = op
            ours.set_transient_storage(address, slot, value)  # type: ignore[arg-type]
            reference.set_transient_storage(address, slot, value)  # type: ignore[arg-type]
        elif op[0] == "record":
            open_checkpoints.append(next_id)
            ours.record(next_id)
            reference.record(next_id)  # type: ignore[arg-type]
            next_id += 1
        elif op[0] == "clear":
            # py-evm clears only at a transaction's end, with no frame open
            if not open_checkpoints:
                ours.clear()
                reference.clear()
        elif open_checkpoints:
            # frames close innermost first, or an outer one closes the inner ones too
            checkpoint = open_checkpoints[len(open_checkpoints) // 2]
            del open_checkpoints[open_checkpoints.index(checkpoint) :]
            getattr(ours, str(op[0]))(checkpoint)
            getattr(reference, str(op[0]))(checkpoint)
        for address in (A, B):
            for slot in range(4):
                assert ours.get_transient_storage(address, slot) == (
                    reference.get_transient_storage(address, slot)
                )
