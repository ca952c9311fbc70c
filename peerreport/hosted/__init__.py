"""Hosted peerreport: one server, one PostgreSQL database, many organisations.

`peerreport serve --config server.toml` runs it. Accounts and roles
(`accounts`, `directory`), every access decision (`access`), the guard in
front of every route (`guard`), and the funder's, auditor's and admin's pages
and the JSON API (`routes`). The coordinator's pages are the local web
application's, each request working on the organisation the person chose.
"""
