"""Running the hosted application on the configured address (behind a TLS proxy)."""

from __future__ import annotations

import contextlib
from typing import Any

from peerreport.hosted.config import ServerConfig


def make_hosted_server(config: ServerConfig, port: int | None = None) -> Any:
    """A uvicorn server for the hosted application (not started)."""
    import uvicorn

    from peerreport.hosted.app import create_hosted_app

    settings = uvicorn.Config(
        create_hosted_app(config),
        host=config.bind,
        port=port if port is not None else config.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        # The TLS proxy in front sets X-Forwarded-For; trust it only from itself.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(settings)


def serve_hosted(config: ServerConfig) -> None:
    """Serve until interrupted."""
    server = make_hosted_server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


__all__ = ["make_hosted_server", "serve_hosted"]
