"""Packaging: everything is declared in pyproject.toml except one mapping.

The top-level folders `templates/` (jinja2 and workbook templates) and `rules/`
(the shipped rule files) are installed as the packages `peerreport_templates`
and `peerreport_rules`, which pyproject.toml alone cannot say together with
automatic discovery of `peerreport`'s sub-packages.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["peerreport", "peerreport.*"]),
        "peerreport_templates",
        "peerreport_rules",
    ],
    package_dir={"peerreport_templates": "templates", "peerreport_rules": "rules"},
)
