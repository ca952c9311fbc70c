"""Running the web application: a free port on 127.0.0.1, the first address, the browser."""

from __future__ import annotations

import contextlib
import socket
import threading
import webbrowser
from collections.abc import Callable
from typing import Any

from peerreport.web.config import WebConfig

LOCAL_HOST = "127.0.0.1"


def free_port(host: str = LOCAL_HOST) -> int:
    """A port nobody is listening on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def first_address(config: WebConfig, port: int, host: str = LOCAL_HOST) -> str:
    """The address to open first: it carries the secret token, then a cookie does."""
    return f"http://{host}:{port}/?token={config.token}"


def make_server(config: WebConfig, port: int, host: str = LOCAL_HOST) -> Any:
    """A uvicorn server for the application (not started)."""
    import uvicorn

    from peerreport.web.app import create_app

    settings = uvicorn.Config(
        create_app(config),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(settings)


def serve(
    config: WebConfig,
    port: int | None = None,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
    stopped: Callable[[], None] = lambda: None,
) -> None:
    """Serve until interrupted (Ctrl+C), after printing the first address and opening it."""
    chosen = port or free_port()
    server = make_server(config, chosen)
    address = first_address(config, chosen)
    announce(address)
    if open_browser:
        threading.Timer(0.8, lambda: webbrowser.open(address)).start()
    # uvicorn shuts down cleanly on Ctrl+C, then passes the interrupt on: it is no error.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    stopped()
