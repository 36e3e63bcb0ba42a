"""web3's bookkeeping of each request on a persistent connection, without its two costs
that grow for no reason on ``async_w3``'s provider.

web3 (7, 8) keeps, per request sent over a WebSocket, a ``RequestInformation`` (method,
params, the formatters its answer goes through) in its request processor, and the
middleware add their response processors to it. Profiled on the generated asyncio suite
(issue 12), two parts of that cost more than they do anything:

- **Looking for a cached answer**: before storing a request's information, web3 hashes
  its method and *params* (``generate_cache_key``, one md5 per leaf of the params) to see
  whether its request cache already answered it. Only methods the provider caches can
  be there (``eth_chainId`` here), so for every other method the look-up is skipped; the
  information is stored as web3 stores it.
- **Cached answers pile up processors**: an answer web3 serves from its request cache
  keeps its ``RequestInformation`` (web3 does not pop it, so that the next cached answer
  finds it), and every call appends the middleware's response processors to it again:
  the *n*-th ``eth_chainId`` of a connection ran 2 *n* processors, about ten times a
  token test. Here the processors queued for that answer are handed over with a copy
  of the information and the kept one starts empty again, so each answer runs each
  middleware once, as an answer that was really sent does. Subscription notifications,
  whose information is kept on purpose and processed every time, are left alone.

And one thing web3 loses on a reconnect, which ``async_w3`` does between tests when it
reuses its provider: ``disconnect`` empties the request information but not the request
cache, so the next cached ``eth_chainId`` answer found no information and came back as
the raw JSON-RPC dict instead of an int. The information of cached answers is kept
through ``clear_caches`` here (their formatters do not depend on the connection).

Installed per provider by :func:`install`, on its own request processor: web3's classes
and any other provider are untouched.
"""

from __future__ import annotations

import copy
from typing import Any


def available() -> bool:
    """Whether the installed web3 has the request processor this relies on (7 and 8)."""
    try:
        from web3._utils.caching.caching_utils import RequestInformation  # noqa: F401
        from web3.providers.persistent.request_processor import RequestProcessor
    except ImportError:  # pragma: no cover - a web3 unlike 7 and 8
        return False
    needed = ("cache_request_information", "get_request_information_for_response", "clear_caches")
    return all(hasattr(RequestProcessor, name) for name in needed)


def install(provider: Any) -> None:
    """Make ``provider``'s request processor skip the cache look-up for methods it never
    caches, hand each cached answer its own processors, and keep what cached answers
    need through a reconnect (module docstring)."""
    from web3._utils.caching.caching_utils import RequestInformation, generate_cache_key

    processor = provider._request_processor
    store = processor.cache_request_information
    lookup = processor.get_request_information_for_response

    def never_cached(method: Any) -> bool:
        return not (provider.cache_allowed_requests and method in provider.cacheable_requests)

    def cache_request_information(
        request_id: Any, method: Any, params: Any, response_formatters: Any
    ) -> Any:
        if request_id is None or not never_cached(method):
            return store(request_id, method, params, response_formatters)  # web3's own path
        key = generate_cache_key(request_id)
        cache = processor._request_information_cache
        cache.cache(key, RequestInformation(method, params, response_formatters))
        if cache.is_full():
            provider.logger.warning(
                "Request information cache is full (%s entries): answers may be lost; "
                "see ``request_information_cache_size``.",
                len(cache),
            )
        return key

    def get_request_information_for_response(response: Any) -> Any:
        info = lookup(response)
        if (
            info is None
            or not info.middleware_response_processors
            or never_cached(info.method)
            or (isinstance(response, dict) and response.get("method") == "eth_subscription")
        ):
            return info
        answer = copy.copy(info)
        info.middleware_response_processors = []  # the kept information starts empty again
        return answer

    clear = processor.clear_caches

    def clear_caches() -> None:
        infos = processor._request_information_cache
        kept = []
        for response in list(provider._request_cache._data.values()):
            if isinstance(response, dict) and "id" in response:
                key = generate_cache_key(response["id"])
                info = infos.get_cache_entry(key)
                if info is not None:
                    kept.append((key, info))
        clear()
        for key, info in kept:
            processor._request_information_cache.cache(key, info)

    processor.cache_request_information = cache_request_information
    processor.get_request_information_for_response = get_request_information_for_response
    processor.clear_caches = clear_caches
