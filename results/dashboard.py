"""Serving optuna-dashboard on an effsearch storage: live charts of a running search.

optuna-dashboard (the Optuna project's web UI) reads any RDB storage; every trial's user
attributes (arch code, MACs, params, accuracy, reward, reason, role, ...) show in its trial
table, so nothing effsearch-specific is needed beyond opening the storage the way reports do:
without creating anything. It is served by the standard library's WSGI server with one thread
per request, bound to loopback unless the user asks otherwise; optuna-dashboard has no
authentication and can edit and delete studies, so binding wider is announced on stderr.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from search_spaces.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine: ``localhost``, all of
    127.0.0.0/8 (short forms like ``127.1`` too) and ``::1``. An empty host binds every interface."""
    text = host.strip().lower().rstrip(".")
    if text in ("localhost", "ip6-localhost") or text.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(text.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        return socket.inet_aton(text)[0] == 127 if text else False
    except OSError:
        return False


def check_host(host: str, allow_remote: bool = False) -> None:
    """UserError for a host other machines could reach, unless ``allow_remote`` says so on purpose."""
    if is_loopback(host) or allow_remote:
        return
    what = "an empty --host binds every interface" if not host.strip() else f"--host {host!r} is not loopback"
    raise UserError(
        f"{what}: the dashboard would be reachable from other machines, and it has no login (anyone "
        "could edit or delete studies); add --allow-remote to do that on purpose"
    )


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the dashboard polls every few seconds)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


def make_app(storage_url: str | None) -> Callable[..., Any]:
    """The optuna-dashboard WSGI application on an existing storage (nothing is created)."""
    from optuna_dashboard import wsgi

    from results.storage import open_storage

    return wsgi(open_storage(storage_url))


def make_dashboard_server(
    storage_url: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> WSGIServer:
    """A bound (not yet serving) server; ``port`` 0 picks a free one (see ``server.server_port``)."""
    if not 0 <= port <= 65535:
        raise UserError(f"--port must be within 0..65535, got {port}")
    app = make_app(storage_url)
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    try:
        return make_server(
            host.strip("[]"), port, app, server_class=server_class, handler_class=_QuietHandler
        )
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def binding_warning(host: str) -> str | None:
    """What to tell the user before serving on ``host`` (``None`` for loopback addresses)."""
    if is_loopback(host):
        return None
    return (
        f"warning: serving on {host or 'every interface'}, reachable from other machines; "
        "optuna-dashboard has no login and lets anyone who can reach it edit and delete studies"
    )


def serve(
    storage_url: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, allow_remote: bool = False
) -> None:
    """Serve optuna-dashboard until Ctrl-C (or SIGTERM); a non-loopback host needs ``allow_remote``."""
    import signal

    from nas.studies.storage_url import DEFAULT_STORAGE, mask_secrets

    check_host(host, allow_remote)
    server = make_dashboard_server(storage_url, host, port)
    warning = binding_warning(host)
    if warning:
        sys.stderr.write(warning + "\n")

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, _stop)
    except ValueError:  # not the main thread (embedded use): Ctrl-C only
        pass
    shown = f"[{host}]" if ":" in host else host
    if host.strip() in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1"
    print(
        f"optuna-dashboard on {mask_secrets(storage_url or DEFAULT_STORAGE)}: "
        f"http://{shown}:{server.server_port}/dashboard (Ctrl-C to stop)",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "binding_warning",
    "is_loopback",
    "make_app",
    "make_dashboard_server",
    "serve",
]
