"""Column headings that name identifying or clinical content.

peerreport records activities, not people. When a spreadsheet has a column
such as "Surname", "DOB" or "Diagnosis", intake refuses it by its heading and
tells the coordinator, in plain words, to delete it before importing.

Headings are compared without regard to case, spaces, underscores, hyphens,
dots or camelCase ("Date_of_Birth", "D.O.B.", "dateOfBirth", "e-mail"). Some
words are forbidden anywhere in a heading ("Client DOB", "NHI no."); others
only as the whole heading, because they are harmless inside a longer one
("Name" is refused, "Group name" is one of our own fields).

Judgement calls: "suburb" alone is allowed, because in an activity log it
says where a session was held (the venue), while "home suburb" or "suburb of
residence" is where a person lives and is refused; "age" alone is refused (an
exact age) while "age band" and "age group" are the aggregate breakdowns we
record.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_AFTER = "Delete this column before importing."
_NOT_PEOPLE = "peerreport records activities, not people"


@dataclass(frozen=True)
class ForbiddenKind:
    """A kind of column peerreport refuses: its usual heading, the spellings it knows, and why.

    `reason` follows the heading in messages: '"D.O.B." looks like a date of birth, ...'.
    """

    name: str
    #: Spellings refused anywhere in a heading.
    anywhere: tuple[str, ...]
    #: Spellings refused only as the whole heading.
    whole: tuple[str, ...]
    reason: str


def _identifies(what: str, stored: str) -> str:
    return (
        f"looks like {what}, which identifies a person; {_NOT_PEOPLE}, and never stores "
        f"{stored}. {_AFTER}"
    )


def _contact(what: str, stored: str) -> str:
    return (
        f"looks like {what}, a contact detail that identifies a person; {_NOT_PEOPLE}, and "
        f"never stores {stored}. {_AFTER}"
    )


def _client_id(what: str) -> str:
    return (
        f"looks like {what}, a client identifier; {_NOT_PEOPLE}, and never stores client "
        f"identifiers. {_AFTER} (To count unique people, use the optional 'member tokens' "
        "column of codes members chose themselves.)"
    )


def _clinical(what: str, stored: str) -> str:
    return (
        f"looks like {what}: clinical information about a person. peerreport is not a "
        f"clinical record and never stores {stored}. {_AFTER}"
    )


_CLIENTS = (
    "client", "patient", "consumer", "whaiora", "tangata whaiora", "service user",
    "participant", "member", "attendee", "person", "user",
)  # fmt: skip
_OTHERS = (
    "facilitator", "staff", "worker", "peer worker", "volunteer", "carer", "caregiver",
    "parent", "referrer", "student",
)  # fmt: skip


def _of_people(
    *things: str, people: tuple[str, ...] = _CLIENTS + _OTHERS, reverse: bool = False
) -> tuple[str, ...]:
    """'client name', "client's name", 'name of client' (and 'name client') for each person.

    `reverse` adds 'name client', as in "Name (client)"; off for words like
    "phone", where "phone volunteer" is more likely a role than a number.
    """
    forms = ["{p} {t}", "{p}s {t}", "{t} of {p}"] + (["{t} {p}"] if reverse else [])
    return tuple(
        form.format(p=person, t=thing) for thing in things for person in people for form in forms
    )


def _ids_of(people: tuple[str, ...]) -> tuple[str, ...]:
    """'client id', 'client number', ...: not 'clients number' or 'number of clients' (counts)."""
    things = ("id", "identifier", "number", "no", "num")
    return tuple(f"{person} {thing}" for person in people for thing in things)


def _list(spellings: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in spellings.split(",") if word.strip())


FORBIDDEN_KINDS: tuple[ForbiddenKind, ...] = (
    ForbiddenKind(
        "name",
        _list(
            "first name, firstname, given name, given names, forename, surname, last name,"
            "lastname, family name, full name, fullname, preferred name, middle name,"
            "maiden name, nickname, known as, alias, aka, initials, next of kin, contact name,"
            "emergency contact, ingoa"
        )
        + _of_people("name", "names", "initials", reverse=True),
        _list("name, names"),
        _identifies("a name", "names, initials or aliases"),
    ),
    ForbiddenKind(
        "date of birth",
        _list(
            "dob, date of birth, birth date, birthdate, birthday, date born, year of birth,"
            "birth year, ra whanau"
        ),
        _list("born"),
        _identifies("a date of birth", "dates of birth"),
    ),
    ForbiddenKind(
        "age",
        _list("exact age, age in years, age years, current age") + _of_people("age"),
        _list("age, ages"),
        f"looks like an exact age, which helps identify a person; {_NOT_PEOPLE}. If this "
        'column holds age bands (such as 25-34), name it "age band"; otherwise delete it '
        "before importing.",
    ),
    ForbiddenKind(
        "address",
        _list(
            "address, street address, street name, street number, postcode, post code,"
            "postal code, zip, zip code, zipcode, home suburb, residential suburb,"
            "suburb of residence, place of residence, residence, wahi noho"
        )
        + _of_people("suburb", "town"),
        _list("street, addr"),
        _contact("an address", "addresses or postcodes"),
    ),
    ForbiddenKind(
        "phone number",
        _list(
            "phone number, phone no, phone num, home phone, work phone, mobile phone,"
            "mobile number, mobile no, cell phone, cellphone, telephone number, tel no, ph no,"
            "contact number, contact no, contact phone, contact details, landline, nama waea"
        )
        + _of_people("phone", "mobile"),
        _list("phone, phones, mobile, cell, telephone, tel, ph, waea"),
        _contact("a phone number", "phone numbers"),
    ),
    ForbiddenKind(
        "e-mail",
        _list("email, emails, e mail, email address, imera"),
        (),
        _contact("an e-mail address", "e-mail addresses"),
    ),
    ForbiddenKind(
        "NHI number", _list("nhi, national health index"), (), _client_id("an NHI number")
    ),
    ForbiddenKind("Medicare number", _list("medicare"), (), _client_id("a Medicare number")),
    ForbiddenKind(
        "IHI",
        _list("ihi, individual healthcare identifier"),
        (),
        _client_id("an IHI (healthcare identifier)"),
    ),
    ForbiddenKind(
        "SLK-581",
        _list("slk, slk581, slk 581, statistical linkage key, linkage key"),
        (),
        _client_id("an SLK-581 linkage key"),
    ),
    ForbiddenKind(
        "client id",
        _list(
            "mrn, medical record number, case number, case no, case id, file number,"
            "client code, patient code, consumer code"
        )
        + _ids_of(_CLIENTS + _OTHERS),
        (),
        _client_id("a client or case number"),
    ),
    ForbiddenKind(
        "diagnosis",
        _list(
            "diagnosis, diagnoses, dx, icd, icd10, icd 10, dsm, dsm5, dsm 5, dsm iv,"
            "health condition, medical condition, mental health condition"
        ),
        _list("condition, conditions"),
        _clinical("a diagnosis", "diagnoses or diagnosis codes"),
    ),
    ForbiddenKind(
        "medication",
        _list(
            "medication, medications, meds, medicine, medicines, prescription, prescriptions,"
            "prescribed, dosage, dosages"
        ),
        _list("dose, doses"),
        _clinical("medication", "medication or prescriptions"),
    ),
    ForbiddenKind(
        "case notes",
        _list(
            "case notes, case note, clinical notes, clinical note, progress notes, progress note,"
            "notes about person, notes about client, risk assessment, risk rating, risk level,"
            "safety plan, crisis plan, treatment plan, care plan"
        )
        + _of_people("notes", "note", people=_CLIENTS, reverse=True),
        _list("clinical, risk"),
        _clinical("case notes", "notes about people, risk assessments or care plans")
        + ' Notes about the activity itself belong in the "notes" column.',
    ),
)

#: The canonical list for the docs: each kind's usual heading and the reason given.
FORBIDDEN_COLUMNS: dict[str, str] = {
    kind.name: f'"{kind.name}" {kind.reason}' for kind in FORBIDDEN_KINDS
}

# Headings that contain a forbidden word but are about the activity, not a person.
_ALLOWED = frozenset(
    {"venueaddress", "siteaddress", "officeaddress", "serviceaddress", "organisationaddress"}
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _squash(words: str) -> str:
    return "".join(_tokens(words))


def _tokens(heading: str) -> list[str]:
    """Lower-case ASCII words: "dateOfBirth" -> date, of, birth; "Rā whānau" -> ra, whanau."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", heading)
    folded = unicodedata.normalize("NFKD", spaced.casefold())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", ascii_only)


_ANYWHERE = {_squash(s): kind for kind in FORBIDDEN_KINDS for s in kind.anywhere}
_WHOLE = {_squash(s): kind for kind in FORBIDDEN_KINDS for s in kind.whole}
_LONGEST = max(len(_tokens(s)) for kind in FORBIDDEN_KINDS for s in kind.anywhere)


def _match(tokens: list[str]) -> ForbiddenKind | None:
    whole = "".join(tokens)
    if whole in _ALLOWED:
        return None
    if whole in _WHOLE:
        return _WHOLE[whole]
    for size in range(min(_LONGEST, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            kind = _ANYWHERE.get("".join(tokens[start : start + size]))
            if kind is not None:
                return kind
    return None


def forbidden_column(heading: str) -> str | None:
    """Why peerreport refuses a column with this heading, in plain words; None if it is fine.

    '"DOB" looks like a date of birth, which identifies a person; ...'. A hint in
    brackets counts both ways: "Age (years)" is refused as "age", "Name
    (client)" as a client's name, and "Notes (activity)" is fine.
    """
    kind = _match(_tokens(heading)) or _match(_tokens(_BRACKETS.sub(" ", heading)))
    return None if kind is None else f'"{heading.strip()}" {kind.reason}'
