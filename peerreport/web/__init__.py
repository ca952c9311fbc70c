"""The web application: the coordinator's whole job in a browser, over the same pipeline.

    browser ──▶ LocalGuard (token cookie, Host, Origin, upload limit, headers)
            ──▶ FastAPI routes (peerreport.web.routes: home, start, upload, records, returns)
            ──▶ the application layer the CLI also calls (filing, intake, store, render)

`peerreport serve` runs it on 127.0.0.1 (local mode): a secret token made at
start is required (in the first address, then a cookie), and every
state-changing request is a POST carrying a CSRF token. Pages are rendered on
the server with jinja2 (sandboxed, autoescaped); htmx, served from the
package, adds partial updates, and every page works without JavaScript.
Nothing here computes a figure: it calls what the command line calls.
"""
