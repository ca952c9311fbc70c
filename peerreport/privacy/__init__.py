"""The privacy guard: nothing identifying or clinical is ever stored.

`scan_text` runs every detector over a text value; `check_text` raises
`PrivacyViolation` (a `ValueError`, so pydantic reports it against the field)
when anything is found. Messages carry the kind of identifier and a masked
form of the value, never the value itself.

Each identifier kind is one small module in `peerreport.privacy.detectors`.
"""

from __future__ import annotations

from peerreport.privacy.detection import Detection, PrivacyViolation, mask
from peerreport.privacy.scan import check_text, mask_text, scan_text

__all__ = ["Detection", "PrivacyViolation", "check_text", "mask", "mask_text", "scan_text"]
