"""The geth-style IPC endpoint: a unix socket speaking :mod:`mocknode.wire.ipc` framing.

Path handling, as a user expects from a dev node (anvil removes a stale socket too):

- nothing at the path: bind there;
- a socket nobody listens on (a crashed earlier run): replace it;
- a socket somebody listens on, or anything that is not a socket (regular file,
  directory, symlink): refuse with :class:`IpcPathError`, never delete user data or steal
  a live node's endpoint;
- the directory must be one only its owner can change: owned by us (or root), and not
  writable by group or others unless sticky (``/tmp``: nobody else may then remove or
  replace our socket). A directory that is missing is created, mode 0700 (the default
  path is ``<tmp>/mocknode-<uid>/mocknode.ipc`` for that reason: a fixed name straight
  in ``/tmp`` could be taken first by another user, whose socket our user's clients
  would then talk to). Anything else is refused with :class:`IpcPathError`;
- the socket file is made mode 0600 right after ``bind``. Until then it has the umask's
  mode; connecting needs write permission, which the usual 022 umask does not give to
  others, and changing the process-wide umask instead would race other threads (the
  sync ``MockNode`` runs trio in a background thread);
- on shutdown (cancellation) the file is removed, but only if it is still ours (same
  inode): another node may have replaced it meanwhile.

The seams are the TCP port's (:mod:`mocknode.io.tcp`): ``conn_ids``, ``on_accept``,
``wrap_stream``, and :func:`serve_ipc_stream` for any connected stream. A connection's
:class:`~mocknode.io.session.ConnInfo` names the socket path as its peer (unix peers
have no name of their own).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
from collections.abc import Callable
from functools import partial

import trio

from mocknode.io._accept import AcceptHook, StreamWrapper, accept_forever, new_counter
from mocknode.io._conn import Connection, close_session, run_connection
from mocknode.io._messages import serve_messages
from mocknode.io.limits import ConnLimits, ConnSlots
from mocknode.io.reply import Reply
from mocknode.io.session import ConnInfo, SessionFactory
from mocknode.wire.ipc import DEFAULT_MAX_MESSAGE, IpcConnection

log = logging.getLogger("mocknode.io")

__all__ = ["IpcPathError", "serve_ipc", "serve_ipc_stream"]


class IpcPathError(Exception):
    """The IPC path is taken by something we must not replace."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"cannot serve IPC at {path}: {what}")
        self.path = path
        self.what = what


async def serve_ipc(
    session_factory: SessionFactory,
    path: str | os.PathLike[str],
    *,
    max_message: int = DEFAULT_MAX_MESSAGE,
    limits: ConnLimits | None = None,
    slots: ConnSlots | None = None,
    fast_path: bool = True,
    conn_ids: Callable[[], int] | None = None,
    on_accept: AcceptHook | None = None,
    wrap_stream: StreamWrapper | None = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve IPC JSON-RPC on a unix socket at ``path`` until cancelled.

    ``task_status.started(path)`` once listening. Raises :class:`IpcPathError` before
    binding if the path is in use (see the module docstring). ``fast_path=False`` turns
    off the stream splitter's one-parse shortcut and the raw-socket shortcut; the other
    keywords are :func:`~mocknode.io.tcp.serve_tcp`'s.
    """
    path = os.fspath(path)
    _private_directory(path)
    await _clear_stale_socket(path)
    # Bound synchronously: trio binds unix sockets in a worker thread (the path is on a
    # filesystem), and that thread then idles in trio's cache for seconds after the node
    # is closed. Binding a local socket file takes microseconds.
    std = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            std.bind(path)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise IpcPathError(path, "another process took the path while we started") from exc
        inode = os.stat(path).st_ino
        os.chmod(path, 0o600)
        std.listen()
        std.setblocking(False)
    except BaseException:
        std.close()
        raise
    sock = trio.socket.from_stdlib_socket(std)
    try:
        listener = trio.SocketListener(sock)
        lim = limits or ConnLimits()
        serve = partial(_serve_accepted, session_factory, max_message, lim, fast_path)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                partial(
                    accept_forever,
                    listener,
                    nursery,
                    transport="ipc",
                    peer=lambda _: path,
                    conn_ids=conn_ids if conn_ids is not None else new_counter(),
                    on_accept=on_accept,
                    wrap_stream=wrap_stream,
                    serve=serve,
                    slots=slots if slots is not None else ConnSlots(lim),
                    refusal=b"",
                )
            )
            task_status.started(path)
    finally:
        sock.close()
        _remove_if_ours(path, inode)


def _private_directory(path: str) -> None:
    """Create the socket's directory (0700) if missing; refuse one others can change."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise IpcPathError(path, f"cannot create its directory {directory}: {exc}") from exc
    st = os.stat(directory)
    if st.st_uid not in (os.getuid(), 0):
        raise IpcPathError(path, f"its directory {directory} belongs to another user")
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise IpcPathError(
            path,
            f"its directory {directory} is writable by other users (mode "
            f"{stat.S_IMODE(st.st_mode):o}), who could replace the socket; use a private one",
        )


async def _clear_stale_socket(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise IpcPathError(path, f"{_describe(st.st_mode)} is there, not a socket")
    probe = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with trio.fail_after(2):
            await probe.connect(path)
    except ConnectionRefusedError:
        log.info("removing stale IPC socket %s", path)
        os.unlink(path)
        return
    except (OSError, trio.TooSlowError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            return  # vanished meanwhile
        raise IpcPathError(path, f"the socket there cannot be probed ({exc!r})") from exc
    finally:
        probe.close()
    raise IpcPathError(path, "another process is listening on that socket")


def _describe(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def _remove_if_ours(path: str, inode: int) -> None:
    try:
        if os.lstat(path).st_ino == inode:
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove IPC socket %s: %r", path, exc)


async def _serve_accepted(
    factory: SessionFactory,
    max_message: int,
    limits: ConnLimits,
    fast_path: bool,
    stream: trio.abc.HalfCloseableStream,
    info: ConnInfo,
    accept_reply: Reply | None,
    reset_socket: trio.socket.SocketType,
) -> None:
    await serve_ipc_stream(
        stream,
        factory,
        info,
        max_message=max_message,
        limits=limits,
        fast_path=fast_path,
        accept_reply=accept_reply,
        reset_socket=reset_socket,
    )


async def serve_ipc_stream(
    stream: trio.abc.HalfCloseableStream,
    session_factory: SessionFactory,
    info: ConnInfo,
    *,
    max_message: int = DEFAULT_MAX_MESSAGE,
    limits: ConnLimits | None = None,
    fast_path: bool = True,
    accept_reply: Reply | None = None,
    reset_socket: trio.socket.SocketType | None = None,
) -> None:
    """Serve one connected stream with IPC framing until it ends (see
    :func:`~mocknode.io.tcp.serve_http_stream`). The caller closes ``stream``."""
    lim = limits or ConnLimits()
    await run_connection(
        stream,
        partial(_serve_ipc, session_factory, info, max_message, fast_path),
        max_queued_bytes=lim.max_queued_bytes,
        write_timeout=lim.write_timeout,
        busy_poll=lim.busy_poll,
        shortcut=fast_path,
        reset_socket=reset_socket,
        accept_reply=accept_reply,
    )


async def _serve_ipc(
    factory: SessionFactory, info: ConnInfo, max_message: int, fast_path: bool, conn: Connection
) -> None:
    ipc = IpcConnection(max_message=max_message, fast_path=fast_path)
    session = factory(info, conn.make_push(ipc))
    try:
        await serve_messages(conn, ipc, session)
    finally:
        await close_session(session)
