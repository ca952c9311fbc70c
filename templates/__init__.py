"""Templates shipped with peerreport, installed as the package `peerreport_templates`.

- `return.html.j2`: the HTML review page of a return (jinja2, rendered sandboxed).
- `audit-report.html.j2`: the auditor's one-page report on a bundle (the same way).
- Workbook templates (`*.xlsx`) used by rule files or tests.

This folder is top-level (the product's layout); `setup.py` installs it under
that package name so an installed peerreport finds its templates.
"""
