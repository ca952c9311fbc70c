"""A workspace: a folder with `peerreport.toml`, the organisation's settings and database.

```toml
[organisation]
name = "Harbour Peer Collective"
provider_code = "HPC001"
contact_role = "Service coordinator"   # optional: the role funders contact (never a name)

[intake]
date_order = "day-first"     # or "month-first"; ISO dates are always accepted

[records]
keep_notes = false           # the activities' notes column is not stored unless true

[returns]
files = ["nz-peer-support-adults"]   # the returns this organisation files (the web's home page)

[database]
url = "sqlite:///peerreport.db"   # relative SQLite paths are relative to the workspace
```

No return uses the activities' `notes`, so they are not stored unless
`keep_notes = true`: free text is where names and personal details slip in.

`contact_role` is the role a funder contacts about a return ("Service
coordinator"), written on every return the workspace builds and available to a
funder's template as the `contact_role` field. It names a role, never a person:
a value holding an email address, a phone number or another identifier is refused.

The database URL can be overridden by `--db` or `PEERREPORT_DATABASE_URL`.
The secret that keys member-token hashes lives beside it in `peerreport.secret`
and never leaves the workspace. So does the signing key, `peerreport.key`
(Ed25519, mode 0600 from the moment it is created, git-ignored), that
`submit` signs every bundle with; its public half is `peerreport.pub`, and
its fingerprint is what the funder is given once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from peerreport.errors import WorkspaceError

CONFIG_NAME = "peerreport.toml"
SECRET_NAME = "peerreport.secret"
KEY_NAME = "peerreport"  # peerreport.key (private) and peerreport.pub (public)
#: The folder `peerreport keys rotate` keeps replaced public keys in (never a private key).
RETIRED_KEYS_DIR = "retired-keys"
DATE_ORDERS = ("day-first", "month-first")
ENV_DATABASE_URL = "PEERREPORT_DATABASE_URL"
ENV_WORKSPACE = "PEERREPORT_WORKSPACE"
_PROVIDER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class Workspace:
    """The settings of one organisation's workspace."""

    root: Path
    organisation_name: str
    provider_code: str
    date_order: str
    database_url: str
    keep_notes: bool = False  # [records] keep_notes: store the activities' notes column
    returns: tuple[str, ...] = ()  # [returns] files: rule file ids this organisation files
    contact_role: str | None = None  # [organisation] contact_role: who funders contact, as a role

    @property
    def secret_path(self) -> Path:
        """Where the member-token secret lives."""
        return self.root / SECRET_NAME

    @property
    def key_path(self) -> Path:
        """Where the workspace's private signing key lives."""
        return self.root / f"{KEY_NAME}.key"

    @property
    def public_key_path(self) -> Path:
        """Where the public half of the signing key lives."""
        return self.root / f"{KEY_NAME}.pub"

    @property
    def retired_keys_dir(self) -> Path:
        """Where `peerreport keys rotate` keeps the public halves of the keys it replaced."""
        return self.root / RETIRED_KEYS_DIR

    def retired_fingerprints(self) -> dict[str, str]:
        """Fingerprint -> file name of each retired public key (what older bundles were signed
        with); a file that is not a public key is left out."""
        from peerreport.bundle.signing import public_key_fingerprint
        from peerreport.errors import InputFileError

        found: dict[str, str] = {}
        if not self.retired_keys_dir.is_dir():
            return found
        for path in sorted(self.retired_keys_dir.glob("*.pub")):
            try:
                found[public_key_fingerprint(path)] = path.name
            except InputFileError:
                continue
        return found

    def own_fingerprint(self) -> str | None:
        """The fingerprint of the workspace's signing key, or None when it has none yet."""
        from peerreport.bundle.signing import public_key_fingerprint

        for path in (self.public_key_path, self.key_path):
            if path.is_file():
                return public_key_fingerprint(path)
        return None

    def token_secret(self) -> bytes:
        """The secret that keys member-token hashes (created with the workspace)."""
        try:
            return bytes.fromhex(self.secret_path.read_text("ascii").strip())
        except (OSError, ValueError) as exc:
            raise WorkspaceError(
                f"{self.secret_path}: cannot read the member-token secret ({exc}); "
                "it is created by `peerreport init`"
            ) from exc


def validate_provider_code(code: str) -> str:
    """A provider code is 1-32 letters, digits, '.', '_' or '-'."""
    if not _PROVIDER_CODE.match(code):
        raise WorkspaceError(
            f"provider code {code!r} must be 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return code


#: The longest contact role: a job title, not a paragraph.
CONTACT_ROLE_LENGTH = 80


def validate_contact_role(role: str, where: str = "contact role") -> str:
    """A contact role is a short job title holding no identifier (a role, never a person)."""
    from peerreport.privacy import scan_text

    role = role.strip()
    if not role:
        raise WorkspaceError(f"{where} is empty; leave it out, or give a role")
    if len(role) > CONTACT_ROLE_LENGTH:
        raise WorkspaceError(
            f"{where} is {len(role)} characters long; give a role of at most "
            f"{CONTACT_ROLE_LENGTH} characters, such as 'Service coordinator'"
        )
    found = scan_text(role)
    if found:
        raise WorkspaceError(
            f"{where} {found[0].describe()}: give the role "
            "funders contact (such as 'Service coordinator'), never a person's details"
        )
    return role


def _sqlite_url_for(root: Path, url: str) -> str:
    """Make a relative SQLite path relative to the workspace folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        path = url[len(prefix) :]
        if path and path != ":memory:":
            return prefix + str((root / path).resolve())
    return url


def write_workspace(
    root: Path,
    organisation_name: str,
    provider_code: str,
    database_url: str | None = None,
    returns: tuple[str, ...] = (),
    contact_role: str | None = None,
) -> Workspace:
    """Create `peerreport.toml` and the member-token secret in `root`."""
    validate_provider_code(provider_code)
    role = validate_contact_role(contact_role) if contact_role is not None else None
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_NAME
    if config.exists():
        raise WorkspaceError(f"{config} already exists; this folder is already a workspace")
    url = database_url or "sqlite:///peerreport.db"
    config.write_text(
        "# peerreport workspace settings; see `peerreport init --help`.\n"
        "[organisation]\n"
        f"name = {_toml_string(organisation_name)}\n"
        f"provider_code = {_toml_string(provider_code)}\n"
        "# The role funders contact about returns (a role, never a person's name).\n"
        + (
            f"contact_role = {_toml_string(role)}\n\n"
            if role
            else '# contact_role = "Service coordinator"\n\n'
        )
        + "[intake]\n"
        "# How to read dates like 03/04/2026 (ISO dates are always accepted).\n"
        'date_order = "day-first"\n\n'
        "[records]\n"
        "# No return uses the activities' notes column, so it is not stored unless this\n"
        "# is true. Notes are free text, where names and personal details slip in.\n"
        "keep_notes = false\n\n"
        "[returns]\n"
        "# The returns this organisation files (rule file ids): the web's home page lists them.\n"
        f"files = [{', '.join(_toml_string(r) for r in returns)}]\n\n"
        "[database]\n"
        f"url = {_toml_string(url)}\n",
        encoding="utf-8",
    )
    secret = root / SECRET_NAME
    if not secret.exists():
        # Created readable by the owner only from the start: no moment when others can read it.
        descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    ignore = root / ".gitignore"
    if not ignore.exists():
        # A workspace kept in git never commits its secret, its records or its keys.
        ignore.write_text(WORKSPACE_GITIGNORE, encoding="utf-8")
    workspace = load_workspace(root)
    ensure_signing_key(workspace)
    return workspace


def ensure_signing_key(workspace: Workspace) -> tuple[str, bool]:
    """(fingerprint, created): the workspace's signing key, made now when it has none.

    Workspaces made before signing was the default have no key; the first
    `submit` makes one, so every bundle is signed without anyone asking.
    """
    from peerreport.bundle.signing import new_key_pair, public_key_fingerprint

    if workspace.key_path.exists():
        return public_key_fingerprint(workspace.key_path), False
    if workspace.public_key_path.exists():
        raise WorkspaceError(
            f"{workspace.public_key_path} exists but its private key {workspace.key_path} "
            "does not; restore the private key, or move the .pub away to make a new pair"
        )
    return new_key_pair(workspace.root, KEY_NAME).fingerprint, True


def rotate_signing_key(workspace: Workspace, now: dt.datetime | None = None) -> tuple[str, str]:
    """(old fingerprint, new fingerprint): replace the workspace's signing key with a new one.

    The old public key is kept in `retired-keys/` (so bundles it signed still
    verify inside the workspace); the old private key is deleted, so nothing
    more can be signed with it here. The new pair is written beside the old
    one first and moved into place, so an interruption leaves a usable key.
    """
    from peerreport.bundle.signing import new_key_pair, public_key_fingerprint, public_key_pem

    if not workspace.key_path.exists():
        raise WorkspaceError(
            f"{workspace.key_path} does not exist, so there is no key to rotate: "
            "`peerreport submit` makes the first one (or `peerreport keys new --out .`)"
        )
    old = public_key_fingerprint(workspace.key_path)
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    workspace.retired_keys_dir.mkdir(exist_ok=True)
    kept = workspace.retired_keys_dir / f"{KEY_NAME}-{when}.pub"
    if kept.exists():
        raise WorkspaceError(f"{kept} already exists: rotate again in a second")
    kept.write_text(public_key_pem(workspace.key_path), encoding="ascii")
    staging = workspace.root / ".rotating-key"
    for leftover in (staging / f"{KEY_NAME}.key", staging / f"{KEY_NAME}.pub"):
        leftover.unlink(missing_ok=True)
    pair = new_key_pair(staging, KEY_NAME)
    os.replace(pair.private_path, workspace.key_path)
    os.replace(pair.public_path, workspace.public_key_path)
    staging.rmdir()
    return old, pair.fingerprint


WORKSPACE_GITIGNORE = """\
# Written by peerreport init: never commit these.
peerreport.secret
peerreport.db
*.key
*.rejects.csv
logs/
uploads/
"""


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` holding `peerreport.toml`."""
    env = os.environ.get(ENV_WORKSPACE)
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def load_workspace(root: Path) -> Workspace:
    """Read `peerreport.toml` in `root`, with plain errors for every mistake."""
    config = root / CONFIG_NAME
    try:
        data = tomllib.loads(config.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise WorkspaceError(f"{config} not found; run `peerreport init` first") from exc
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{config}: not valid TOML ({exc})") from exc
    try:
        org = data["organisation"]
        name = str(org["name"])
        code = validate_provider_code(str(org["provider_code"]))
    except KeyError as exc:
        raise WorkspaceError(f"{config}: missing [organisation] {exc.args[0]}") from exc
    date_order = str(data.get("intake", {}).get("date_order", "day-first"))
    if date_order not in DATE_ORDERS:
        raise WorkspaceError(
            f"{config}: [intake] date_order must be one of {', '.join(DATE_ORDERS)}, "
            f"not {date_order!r}"
        )
    keep_notes = data.get("records", {}).get("keep_notes", False)
    if not isinstance(keep_notes, bool):
        raise WorkspaceError(
            f"{config}: [records] keep_notes must be true or false, not {keep_notes!r}"
        )
    files = data.get("returns", {}).get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise WorkspaceError(f"{config}: [returns] files must be a list of rule file ids")
    role = org.get("contact_role")
    if role is not None and not isinstance(role, str):
        raise WorkspaceError(f"{config}: [organisation] contact_role must be text, not {role!r}")
    contact_role = (
        validate_contact_role(role, f"{config}: [organisation] contact_role")
        if role is not None
        else None
    )
    url = str(data.get("database", {}).get("url", "sqlite:///peerreport.db"))
    return Workspace(
        root=root.resolve(),
        organisation_name=name,
        provider_code=code,
        date_order=date_order,
        database_url=_sqlite_url_for(root.resolve(), url),
        keep_notes=keep_notes,
        returns=tuple(files),
        contact_role=contact_role,
    )


_RETURNS_LINE = re.compile(r"^files\s*=.*$", re.MULTILINE)


def add_return(workspace: Workspace, rule_id: str) -> Workspace:
    """Add `rule_id` to the workspace's `[returns] files` (written to peerreport.toml)."""
    if rule_id in workspace.returns:
        return workspace
    config = workspace.root / CONFIG_NAME
    text = config.read_text("utf-8")
    files = ", ".join(_toml_string(r) for r in (*workspace.returns, rule_id))
    section = text.find("[returns]")
    if section < 0:
        text = text.rstrip("\n") + f"\n\n[returns]\nfiles = [{files}]\n"
    else:
        found = _RETURNS_LINE.search(text, section)
        if found is None:
            end = section + len("[returns]")
            text = text[:end] + f"\nfiles = [{files}]" + text[end:]
        else:
            text = text[: found.start()] + f"files = [{files}]" + text[found.end() :]
    config.write_text(text, encoding="utf-8")
    return load_workspace(workspace.root)


def database_url(option: str | None, workspace: Workspace | None) -> str:
    """The database to use: `--db`, then PEERREPORT_DATABASE_URL, then the workspace's."""
    if option:
        return option
    env = os.environ.get(ENV_DATABASE_URL)
    if env:
        return env
    if workspace is not None:
        return workspace.database_url
    raise WorkspaceError(
        "no database: run this inside a workspace (`peerreport init`), or give --db URL "
        f"or set {ENV_DATABASE_URL}"
    )
