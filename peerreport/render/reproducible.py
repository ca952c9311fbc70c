"""Making a saved workbook reproducible: equal returns give byte-identical XLSX files.

openpyxl stamps the time of saving into `docProps/core.xml` and into every
zip entry. Rewriting the archive with fixed entry times and a fixed
created/modified time (the period's last day) removes both, as DESIGN.md's
"the same records and rule file produce the same return, byte for byte" asks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def make_reproducible(path: Path, when: dt.date) -> None:
    """Rewrite the workbook at `path` with fixed timestamps (`when` for created/modified)."""
    stamp = f"{when.isoformat()}T00:00:00Z".encode()
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    path.write_bytes(buffer.getvalue())
