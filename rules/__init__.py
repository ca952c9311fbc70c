"""The rule files shipped with peerreport, installed as the package `peerreport_rules`.

Each `*.toml` here is one funder return definition; `fixtures/` holds the
records their tests use. See docs/rule-files.md and docs/rule-catalogue.md.
"""
