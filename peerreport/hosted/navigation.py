"""The links at the top of each hosted page, by role."""

from __future__ import annotations

from peerreport.hosted import access
from peerreport.hosted.access import Principal


def navigation(principal: Principal, org: str | None) -> list[tuple[str, str]]:
    """(address, text) of the main navigation for `principal` (working on `org`)."""
    if principal.role == access.COORDINATOR:
        links = [
            ("/", "Home"),
            ("/upload", "Upload records"),
            ("/records", "Records"),
            ("/returns", "Returns"),
            ("/bundles", "Send a bundle"),
        ]
        return links if org is not None else [("/choose", "Choose organisation")]
    if principal.role == access.FUNDER:
        links = []
        for funder in sorted(principal.funders):
            links += [(f"/funder/{funder}", "Dashboard"), (f"/funder/{funder}/rules", "Rule files")]
        return links
    if principal.role == access.AUDITOR:
        return [("/audit", "Auditor's desk")]
    if principal.role == access.ADMIN:
        return [("/admin", "Administration")]
    return []


__all__ = ["navigation"]
