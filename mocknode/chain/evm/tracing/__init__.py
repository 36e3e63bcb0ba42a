"""Transaction tracing, geth's way: an instrumented run of py-evm's instruction loop
reports each frame and each instruction to a tracer (:mod:`.hooks`), and the tracers
(:mod:`.structlog`, :mod:`.calls`, :mod:`.prestate`, :mod:`.fourbyte`) build geth's
``debug_trace*`` results. Nothing here runs unless a trace is asked for: the fast
interpreter (:mod:`mocknode.chain.evm.interpreter`) knows nothing of it.
"""
