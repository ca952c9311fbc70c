"""Audit: is a return genuine, is it right, where do its figures come from, did anything leak?

- `verify_bundle` (from `peerreport.bundle`): every file hash, the manifest, its
  seal, the signature and the zip's own bytes;
- `recompute`: build the return again from the records and the rule file and
  compare figure by figure, and the record-set digest;
- `trace`: the records behind a figure or one cell of it (the measure's own
  filter compiled to SQL), named by measure id, line code or label; a derived
  figure through the measures its formula uses;
- `sample_records`: a reproducible sample of the records behind a return,
  for checks against source documents;
- `scan_bundle`: the privacy detectors over every text in a bundle, and a
  search for member-token hashes;
- `audit_report`: all of the above, the ledger history and the import log,
  worded for an auditor (`AuditReport`); `report_page` prints it as HTML.

Each reports findings with stable codes; docs/audit.md lists them.
"""

from __future__ import annotations

from peerreport.audit.recompute import Recomputation, recompute
from peerreport.audit.report import AuditReport, audit_report
from peerreport.audit.rules import rule_file_for
from peerreport.audit.sample import Sample, sample_records
from peerreport.audit.scan import scan_bundle
from peerreport.audit.trace import DerivedTrace, FigureTrace, Trace, parse_cell, trace

__all__ = [
    "AuditReport",
    "DerivedTrace",
    "FigureTrace",
    "Recomputation",
    "Sample",
    "Trace",
    "audit_report",
    "parse_cell",
    "recompute",
    "rule_file_for",
    "sample_records",
    "scan_bundle",
    "trace",
]
