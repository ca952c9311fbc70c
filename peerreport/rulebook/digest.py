"""The digest of a resolved rule file: sha256 of its canonical JSON.

The digest covers everything that decides a return (metadata, due date,
disclosure, groupings, measures, checks after `extends` and overrides are
applied) and nothing that does not (fixtures, the file's location, comments,
key order, TOML formatting). A return records it, so an auditor can tell exactly which
rules produced it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from peerreport.rulebook.model import RuleFileModel


def canonical(model: RuleFileModel) -> dict[str, Any]:
    """The resolved rule file as plain JSON data, without fixtures.

    `due`, `release`, `counting`, `define` and `remove` are left out when no file sets them, so rule
    files written before the key existed keep their digests (and the returns built with them
    still match). A measure's `nothing` is left out when it is the default, `zero`, for the
    same reason.
    """
    exclude = {"fixture", "extends", "override"}
    if model.due is None:
        exclude.add("due")
    if model.release is None:
        exclude.add("release")
    if model.counting is None:
        exclude.add("counting")
    if not model.define:
        exclude.add("define")
    if not model.remove:
        exclude.add("remove")
    data = model.model_dump(mode="json", by_alias=True, exclude=exclude)
    for measure in data.get("measure") or []:
        if measure.get("nothing") == "zero":
            del measure["nothing"]  # the default, left out like the tables above
    return data


def canonical_json(model: RuleFileModel) -> str:
    """Canonical JSON text: sorted keys, no spaces, UTF-8."""
    return json.dumps(canonical(model), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(model: RuleFileModel) -> str:
    """'sha256:' and the hex digest of the canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical_json(model).encode("utf-8")).hexdigest()
