"""Scanning everything in a bundle for identifiers, diagnoses and member tokens.

Every entry is turned into the texts a person (or a program) could read from
it, each with a place, and every text goes through the intake's privacy
detectors (`peerreport.privacy.scan_text`):
- JSON: every string value (and key), at its JSON path;
- CSV and other text: every line;
- HTML: text, comments and attribute values (not tag names or markup);
- XLSX (a zip of XML parts): the text and attribute values of every part,
  hidden sheets, comments and document properties included.
The only values skipped are the well-formed base64 key and signature of
`signature.json` and the ephemeral key and ciphertext of the funder's sealed
figures, which are random and can look like an NHI by chance.

Member tokens: with the organisation's database, every 64-hex-digit run is
also compared with the stored token hashes, so a leaked hash is found too.

| code     | what was found                                            |
| -------- | --------------------------------------------------------- |
| SCN-001  | an identifier or diagnosis (kind and masked value)        |
| SCN-002  | a member token's hash                                     |
| SCN-003  | (warning) an entry that could not be read as text         |
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import Engine, select

from peerreport.bundle.sealed import SEALED_NAME
from peerreport.bundle.signing import SIGNATURE_NAME
from peerreport.findings import Finding, Location
from peerreport.findings_catalogue import finding
from peerreport.privacy import scan_text
from peerreport.store.schema import member_token

_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
#: Random base64 values by entry: key name -> byte length (None: any length, a ciphertext).
_RANDOM_FIELDS: dict[str, dict[str, int | None]] = {
    SIGNATURE_NAME: {"public_key": 32, "signature": 64},
    SEALED_NAME: {"ephemeral_key": 32, "ciphertext": None},
}
#: A key fingerprint (`SHA256:` and 43 base64 characters of a random key's hash) is written
#: wherever a bundle names its signer; like the key itself it can look like an NHI by chance.
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/])")
_HINT = (
    "Nothing identifying may leave the organisation: remove it from the source (the "
    "rule file's labels or the records) and export again; treat this bundle as a breach."
)

Text = tuple[str, str]  # (where, text)


def token_hashes(engine: Engine, org: str) -> frozenset[str]:
    """The stored hashes of `org`'s member tokens, to look for in a bundle."""
    query = select(member_token.c.token_hash).where(member_token.c.org == org)
    with engine.connect() as conn:
        return frozenset(str(h) for h in conn.execute(query).scalars())


def scan_bundle(
    entries: dict[str, bytes], token_hashes: frozenset[str] = frozenset()
) -> list[Finding]:
    """Every identifier, diagnosis or member token in a bundle's entries."""
    findings: list[Finding] = []
    for name in sorted(entries):
        try:
            texts = list(_texts(name, entries[name]))
        except (ValueError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
            findings.append(
                finding(
                    "SCN-003",
                    f"{name} could not be read to scan it ({exc})",
                    "Check the entry by hand.",
                    Location(file=name),
                )
            )
            continue
        for where, text in texts:
            findings += _scan(name, where, text, token_hashes)
    return findings


def _scan(name: str, where: str, text: str, token_hashes: frozenset[str]) -> list[Finding]:
    location = Location(file=name, key=where or None)
    found = [
        finding(
            "SCN-001",
            f"{name}{' ' + where if where else ''}: {d.kind} {d.masked}",
            _HINT,
            location,
            {"kind": d.kind},
        )
        for d in scan_text(_FINGERPRINT.sub("SHA256:(key fingerprint)", text))
    ]
    if token_hashes:
        found += [
            finding(
                "SCN-002",
                f"{name}{' ' + where if where else ''}: a member token's hash ({match[:6]}…)",
                _HINT,
                location,
                {"kind": "member_token"},
            )
            for match in _HEX64.findall(text.lower())
            if match in token_hashes
        ]
    return found


def _texts(name: str, data: bytes) -> Iterator[Text]:
    lowered = name.lower()
    if lowered.endswith((".xlsx", ".xlsm", ".docx", ".zip")):
        yield from _zip_xml_texts(data)
        return
    text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if lowered.endswith(".json"):
        value = json.loads(text)
        yield from _json_texts(value, "$", _RANDOM_FIELDS.get(name, {}))
    elif lowered.endswith((".html", ".htm", ".svg")):
        yield from _html_texts(text)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            yield f"line {number}", line


def _json_texts(
    value: Any, path: str, random: dict[str, int | None] | None = None
) -> Iterator[Text]:
    random = random or {}
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            if key in random and _is_random(item, random[key]):
                continue
            yield from _json_texts(item, f"{path}.{key}", random)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_texts(item, f"{path}[{index}]", random)
    elif isinstance(value, str):
        yield path, value


def _is_random(value: Any, size: int | None) -> bool:
    """Well-formed base64 of `size` random bytes (any size when None): nothing to find."""
    if not isinstance(value, str):
        return False
    try:
        decoded = base64.b64decode(value, validate=True)
        return size is None or len(decoded) == size
    except (binascii.Error, ValueError):
        return False


class _HtmlText(HTMLParser):
    """Collects what an HTML page says: text, comments and attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[Text] = []

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def handle_data(self, data: str) -> None:
        """Text between tags."""
        if data.strip():
            self.texts.append((self._where(), data))

    def handle_comment(self, data: str) -> None:
        """An HTML comment: invisible on the page, but it left the organisation too."""
        self.texts.append((self._where(), data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Attribute values (titles, alt text, data attributes)."""
        self.texts += [(self._where(), v) for _, v in attrs if v]


def _html_texts(text: str) -> list[Text]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    return parser.texts


def _zip_xml_texts(data: bytes) -> Iterator[Text]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for info in archive.infolist():
            part = archive.read(info)
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                text = _text_or_none(part)  # a stray text part is scanned; images are not
                if text is not None:
                    yield info.filename, text
                continue
            root = ElementTree.fromstring(part)
            for element in root.iter():
                values = [element.text or "", *element.attrib.values()]
                for value in values:
                    if value.strip():
                        yield info.filename, value


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
