"""Get started: make a workspace from the browser; download the intake workbook for a return."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from peerreport.web.pages import page
from peerreport.web.routes import desk, remove_folder
from peerreport.web.rules import rule_choices

router = APIRouter()


def folder_name(name: str) -> str:
    """A new workspace's folder name, from the organisation's name ("harbour-peer-collective")."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return slug or "workspace"


@router.get("/start")
def start(request: Request) -> Response:
    """Get started: the create-a-workspace form (or, with one, the intake workbook download)."""
    return page(
        request,
        "start.html.j2",
        choices=rule_choices(),
        has_workspace=desk(request).has_workspace,
        values={},
        problem="",
    )


@router.post("/start")
def create(
    request: Request,
    name: Annotated[str, Form()] = "",
    provider_code: Annotated[str, Form()] = "",
    rules: Annotated[str, Form()] = "",
    contact_role: Annotated[str, Form()] = "",
) -> Response:
    """Create the workspace (name, provider code, contact role, the return it files) and open it."""
    from peerreport.errors import WorkspaceError
    from peerreport.store.database import open_engine, upgrade
    from peerreport.workspace import CONFIG_NAME, write_workspace

    here = desk(request)
    values = {
        "name": name,
        "provider_code": provider_code,
        "rules": rules,
        "contact_role": contact_role,
    }
    known = dict(rule_choices())

    def again(problem: str) -> Response:
        return page(
            request,
            "start.html.j2",
            status=400,
            choices=list(known.items()),
            has_workspace=here.has_workspace,
            values=values,
            problem=problem,
        )

    if here.has_workspace:
        return again("This peerreport already has a workspace; it works on one at a time.")
    if not name.strip():
        return again("Give the organisation's name.")
    if rules and rules not in known:
        return again("Choose a return from the list.")
    root = here.config.base_dir / folder_name(name.strip())
    if (root / CONFIG_NAME).exists() or (root.exists() and any(root.iterdir())):
        return again(f"The folder {root} already exists and is not empty; choose another name.")
    try:
        workspace = write_workspace(
            root,
            name.strip(),
            provider_code.strip(),
            returns=(rules,) if rules else (),
            contact_role=contact_role.strip() or None,
        )
    except WorkspaceError as exc:
        message = str(exc)
        return again(message[0].upper() + message[1:])
    engine = open_engine(workspace.database_url)
    upgrade(engine)
    engine.dispose()
    here.switch(root)
    return RedirectResponse("/?created=1", status_code=303)


@router.get("/intake-workbook")
def intake_workbook(request: Request, rules: str = "") -> Response:
    """The intake workbook (drop-downs, help) for a chosen return, to fill in and upload."""
    from peerreport.templates_intake import return_use, write_intake_workbook
    from peerreport.web.rules import rule_file

    use = return_use(rule_file(rules)) if rules else None
    folder = Path(tempfile.mkdtemp(prefix="peerreport-intake-"))
    out = folder / f"activity-log{'-' + rules if rules else ''}.xlsx"
    write_intake_workbook(out, use, 2000)
    return FileResponse(
        out,
        filename=out.name,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        background=BackgroundTask(remove_folder, folder),
    )
