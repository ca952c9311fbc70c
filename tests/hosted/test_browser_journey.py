"""The hosted journey in a real browser: a funder, three providers and an auditor on one server.

One hosted server (`make_hosted_server` on a SQLite database, in a background
thread), set up with `peerreport admin`; then, in Debian's Chromium, with
clicks and typing:

1. the funder signs in and publishes its rule file (a file upload) on Rule files;
2. provider 1 uploads its records and files April to June 2026 on time,
   provider 2 files it late, provider 3 never files;
3. the funder's dashboard shows received, late, missing and not yet due with
   the completeness and on-time rates, filters by state, downloads as Excel;
4. the funder queries provider 2's return; provider 2 reads the query, uploads
   the activities it had left out and amends; the funder reads version 2's
   changes and accepts it, then provider 1's;
5. the funder collates the period and downloads the regional workbook;
6. the auditor opens provider 2's return on the desk and its one-page report;
7. the admin's overview lists everyone set up;
8. provider 1's coordinator is refused provider 2's return and the funder's
   dashboard, and signing out ends the session (back and reload show sign-in).

Every page goes through `checks` (axe-core, no codes, a full-page screenshot).

Time. The pages' today is tests/web's TODAY (29 November 2026): FY2026-Q4
(April to June 2026) was due on 20 July 2026, and the current period,
October to December 2026, is not yet due. A filing's time is the ledger's
clock, so provider 2's (by the wall clock, after that date) is late for real.
Provider 1's filing is made through the same pages, with the ledger's clock
set to 15 July 2026 for that one click (`filed_on`): a browser cannot go back
in time, and the on-time state needs a filing before the due date.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from peerreport.web.routes import home, returns
from tests.helpers import write_csv
from tests.hosted.browser import (
    HostedLive,
    Person,
    Setup,
    by_first_cell,
    filed_on,
    hosted_server,
    sign_in,
    signed_in,
    table_rows,
)
from tests.hosted.helpers import (
    FUNDER,
    FUNDER_NAME,
    ORG_A,
    ORG_A_NAME,
    ORG_B,
    ORG_B_NAME,
    RULE_ID,
    RULE_TEXT,
    sample_log,
)
from tests.web.checks import PageChecks
from tests.web.conftest import TODAY
from tests.web.steps import IMPORT_WAIT, PERIOD, PERIOD_WORDS, download, nav, upload

pytestmark = pytest.mark.browser

ORG_C, ORG_C_NAME = "WPS003", "Whanganui Peer Support"
TITLE = "Harbour District: adult peer support, quarterly"  # RULE_TEXT's title
ON_TIME = dt.datetime(2026, 7, 15, 9, 30, tzinfo=dt.UTC)  # before the due date, 20 July 2026
CURRENT_WORDS = "October to December 2026"  # the period TODAY is in
QUERY = "Your May group sessions look low against last year: were any left out of the log?"
REASON = "Two group sessions in May were left out of the log; added them"
SETUP = Setup(
    funder=(FUNDER, FUNDER_NAME),
    providers=((ORG_A, ORG_A_NAME), (ORG_B, ORG_B_NAME), (ORG_C, ORG_C_NAME)),
    people=(
        Person("funder-ana", "funder", funders=(FUNDER,)),
        Person("aroha", "coordinator", orgs=(ORG_A,)),
        Person("mere", "coordinator", orgs=(ORG_B,)),
        Person("tom", "coordinator", orgs=(ORG_C,)),
        Person("auditor-sam", "auditor", funders=(FUNDER,)),
    ),
)


@pytest.fixture(autouse=True)
def _today_and_sign_in_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' today is TODAY; a fresh limit on sign-ins (this test signs in many times)."""
    from peerreport.hosted.limits import AttemptLimit
    from peerreport.hosted.routes import funder, signin

    for module in (home, returns, funder):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    monkeypatch.setattr(signin, "attempts", AttemptLimit())


# -- 1. The funder publishes its rule file ------------------------------------------------------


def publish_rule_file(page: Page, folder: Path, checks: PageChecks) -> None:
    """Nothing published: the dashboard says so; Rule files: upload the TOML; it is listed."""
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{FUNDER_NAME}: who has filed")
    expect(page.locator("#main")).to_contain_text("You have not published a rule file yet")
    checks(page, "funder-dashboard-empty")
    nav(page, "Rule files")
    expect(page.locator("#main")).to_contain_text("Nothing published yet")
    checks(page, "funder-rules-empty")
    rule_path = folder / f"{RULE_ID}.toml"
    rule_path.write_text(RULE_TEXT, "utf-8")
    page.get_by_label("Rule file (.toml)").set_input_files(rule_path)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text(f"Published: {TITLE}, version 2026.1")
    published = page.get_by_role("table", name=re.compile("published rule files"))
    expect(published).to_contain_text(TITLE)
    expect(published).to_contain_text("2026.1")
    checks(page, "funder-rules-published")


# -- 2. Providers upload their records and file -------------------------------------------------


def upload_records(page: Page, log: Path, checks: PageChecks, name: str) -> None:
    """The Upload page: the workbook is stored."""
    nav(page, "Upload records")
    upload(page, log)
    expect(page.locator("#upload-result")).to_contain_text("Stored", timeout=IMPORT_WAIT)
    checks(page, name)


def file_return(page: Page, checks: PageChecks, who: str) -> None:
    """Returns: the funder's return (added to the provider's own), the period, submit."""
    nav(page, "Returns")
    checks(page, f"{who}-returns")
    published = page.get_by_role("region", name="Returns your funders publish")
    published.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("button", name="Add it to my returns").click()
    expect(page.get_by_role("button", name="Add it to my returns")).to_have_count(0)
    checks(page, f"{who}-periods")
    page.get_by_role("link", name=f"Review and submit {PERIOD_WORDS}").click()
    expect(page).to_have_url(re.compile(f"/returns/{RULE_ID}/{PERIOD}$"))
    expect(page.get_by_role("heading", level=1).first).to_contain_text(PERIOD_WORDS)
    checks(page, f"{who}-review")
    page.get_by_role("button", name="Submit the return").click()
    expect(page).to_have_url(re.compile(f"/returns/{RULE_ID}/{PERIOD}/submitted/1$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Your funder has it")
    checks(page, f"{who}-submitted")


def provider_files(
    browser: Browser, server: HostedLive, username: str, log: Path, checks: PageChecks
) -> None:
    """A provider signs in, uploads its log and files FY2026-Q4."""
    with signed_in(browser, server, username) as page:
        checks(page, f"{username}-home")
        upload_records(page, log, checks, f"{username}-uploaded")
        file_return(page, checks, username)


# -- 3. The funder's dashboard -----------------------------------------------------------------


def grid(page: Page) -> dict[str, list[str]]:
    """The dashboard's table by its first column: providers, 'Complete', 'On time'."""
    rows = table_rows(page, re.compile("providers by period"))
    return by_first_cell([[cell.replace("\n", " ") for cell in row] for row in rows])


def dashboard(page: Page, folder: Path, checks: PageChecks) -> None:
    """Each provider's state by period, the rates, the filter by state, the Excel copy."""
    nav(page, "Dashboard")
    cells = grid(page)
    heading = cells["Provider"]
    assert heading[0].startswith(CURRENT_WORDS), heading
    q4 = next(i for i, words in enumerate(heading) if words.startswith(PERIOD_WORDS))
    a, b, c = (cells[f"{name} ({code})"] for code, name in SETUP.providers)
    assert (a[q4], b[q4], c[q4]) == ("Received", "Received late", "Missing")
    assert a[0] == b[0] == c[0] == "Not yet due"
    assert cells["Complete"][q4] == "67%"
    assert cells["On time"][q4] == "33%"
    assert cells["Complete"][0] == cells["On time"][0] == "–"  # nothing is expected yet
    checks(page, "funder-dashboard")

    for state, shown in (("Missing", 3), ("Received", 1), ("Received late", 1)):
        page.get_by_label("State").select_option(label=state)
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("table")).to_contain_text(f"({shown} of 3 providers shown)")
    cells = grid(page)
    rows = [row for row in cells if row not in ("Provider", "Complete", "On time")]
    assert rows == [f"{ORG_B_NAME} ({ORG_B})"], rows
    assert (cells["Complete"][q4], cells["On time"][q4]) == ("100%", "0%")  # of the row shown
    checks(page, "funder-dashboard-filtered")
    page.get_by_label("State").select_option(label="Any")
    page.get_by_role("button", name="Show").click()

    saved = download(page, folder, page.get_by_role("link", name="Download as Excel"))
    sheet = load_workbook(saved)["Dashboard"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert TITLE in str(values[0][0])
    header = values[1]
    assert header[:2] == ["Provider", "Code"]
    column = header.index(PERIOD_WORDS)
    rows = {row[1]: row for row in values[2:5]}
    assert rows[ORG_A][0] == ORG_A_NAME
    assert rows[ORG_A][column] == "Received"
    assert rows[ORG_B][column] == "Received late"
    assert rows[ORG_C][column] == "Missing"
    rates = {row[0]: row for row in values[5:] if row[0]}
    assert rates["Completeness"][column] == pytest.approx(2 / 3)
    assert rates["On time"][column] == pytest.approx(1 / 3)


# -- 4. A query, an amendment, acceptance -------------------------------------------------------


def open_return(page: Page, org_name: str, label: str) -> None:
    """From the dashboard: the provider's FY2026-Q4 cell, a link in its state's words."""
    nav(page, "Dashboard")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=org_name))
    row.get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", level=1).first).to_contain_text(org_name)


def query(page: Page, checks: PageChecks) -> None:
    """The funder reads provider 2's late return, and queries it."""
    open_return(page, ORG_B_NAME, "Received late")
    main = page.locator("#main")
    expect(main).to_contain_text("Version 1")
    expect(main).to_contain_text("(late: due 20 July 2026)")
    checks(page, "funder-submission-late")
    page.get_by_label("Or query it: your question to the provider").fill(QUERY)
    page.get_by_role("button", name="Send the query").click()
    expect(main).to_contain_text("State: Queried")
    expect(main).to_contain_text(QUERY)
    checks(page, "funder-submission-queried")


def amend(browser: Browser, server: HostedLive, folder: Path, checks: PageChecks) -> None:
    """Provider 2 reads the query, uploads the two sessions it left out, and amends."""
    with signed_in(browser, server, "mere") as page:
        main = page.locator("#main")
        expect(main).to_contain_text("Answer the funder's query")
        checks(page, "mere-home-queried")
        missed = write_csv(
            folder / "missed-sessions.csv",
            [
                ["activity_id", "date", "kind", "attendance"],
                ["MISSED-1", "12/05/2026", "group", 9],
                ["MISSED-2", "19/05/2026", "group", 11],
            ],
        )
        upload_records(page, missed, checks, "mere-uploaded-missed")
        nav(page, "Home")
        page.get_by_role("link", name=f"{TITLE}, {PERIOD_WORDS}").click()
        expect(main).to_contain_text("The funder queried this return")
        expect(main).to_contain_text(QUERY)
        checks(page, "mere-review-queried")
        page.get_by_label("Why are you submitting it again?").fill(REASON)
        page.get_by_role("button", name="Submit the amendment (version 2)").click()
        expect(page).to_have_url(re.compile(f"/returns/{RULE_ID}/{PERIOD}/submitted/2$"))
        expect(main).to_contain_text("Amendment: version 2, amending version 1")
        checks(page, "mere-submitted-amendment")


def accept(page: Page, checks: PageChecks) -> None:
    """The funder reads version 2 and what changed, and accepts it; then provider 1's."""
    open_return(page, ORG_B_NAME, "Received late")
    main = page.locator("#main")
    expect(main).to_contain_text("Version 2")
    expect(main).to_contain_text(REASON)
    expect(page.get_by_role("heading", name="Changes from version 1")).to_be_visible()
    changes = by_first_cell(table_rows(page, re.compile("Changes from version 1")))
    _, before, after = changes["Group and drop-in sessions"]  # the two sessions added
    assert int(after) == int(before) + 2, changes
    checks(page, "funder-submission-amended")
    page.get_by_role("button", name="Accept this return").click()
    expect(main).to_contain_text("State: Accepted")
    expect(page.get_by_role("button", name="Accept this return")).to_have_count(0)
    checks(page, "funder-submission-accepted")

    open_return(page, ORG_A_NAME, "Received")
    expect(main).not_to_contain_text("(late")
    page.get_by_role("button", name="Accept this return").click()
    expect(main).to_contain_text("State: Accepted")


# -- 5. Collation ------------------------------------------------------------------------------


def filed_totals(server: HostedLive) -> dict[str, list[int]]:
    """Each figure's total in every current FY2026-Q4 return the ledger holds (by label)."""
    from peerreport.ledger import submissions
    from peerreport.store.database import open_engine

    engine = open_engine(server.config.database_url)
    try:
        current = submissions(engine, rule_id=RULE_ID, current_only=True)
    finally:
        engine.dispose()
    found: dict[str, list[int]] = {}
    for entry in current:
        assert entry.period_label == PERIOD
        for figure in entry.ret.figures:
            found.setdefault(figure.label, []).append(figure.total.value)
    return found


def collate(page: Page, server: HostedLive, folder: Path, checks: PageChecks) -> None:
    """The period collated from the two accepted returns; the regional workbook."""
    nav(page, "Dashboard")
    cells = grid(page)
    q4 = next(i for i, w in enumerate(cells["Provider"]) if w.startswith(PERIOD_WORDS))
    assert cells[f"{ORG_A_NAME} ({ORG_A})"][q4] == cells[f"{ORG_B_NAME} ({ORG_B})"][q4]
    assert cells[f"{ORG_A_NAME} ({ORG_A})"][q4] == "Accepted"
    page.get_by_role("link", name=f"Collate {PERIOD_WORDS}").click()
    main = page.locator("#main")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PERIOD_WORDS)
    expect(main).to_contain_text("1 received on time, 1 late, 1 not collated")
    providers = by_first_cell(table_rows(page, re.compile("Each provider's return")))
    assert providers[f"{ORG_A_NAME} ({ORG_A})"][0] == "Yes: received on time"
    assert providers[f"{ORG_B_NAME} ({ORG_B})"][0] == "Yes: received late"
    assert providers[f"{ORG_C_NAME} ({ORG_C})"][0] == "No"
    totals = table_rows(page, re.compile("Totals across providers"))
    figure, total = next((row[0], row[2]) for row in totals[1:] if row[1] == "total")
    assert int(total) == sum(filed_totals(server)[figure]), (figure, total)
    checks(page, "funder-collation")

    saved = download(page, folder, page.get_by_role("link", name="Download the regional workbook"))
    book = load_workbook(saved)
    assert book.sheetnames[0] == "Providers"
    text = "\n".join(str(v) for row in book["Providers"].iter_rows(values_only=True) for v in row)
    assert TITLE in text
    for name in (ORG_A_NAME, ORG_B_NAME, ORG_C_NAME):
        assert name in text


# -- 6. The auditor's desk ---------------------------------------------------------------------


def audit(browser: Browser, server: HostedLive, checks: PageChecks) -> None:
    """The desk, provider 2's current return, its verdicts, the one-page report."""
    with signed_in(browser, server, "auditor-sam") as page:
        expect(page.get_by_role("heading", level=1)).to_have_text("Auditor's desk")
        checks(page, "auditor-desk")
        returns_b = page.get_by_role("table", name=re.compile(f"Every return {ORG_B_NAME} filed"))
        version_2 = returns_b.get_by_role("row").filter(has_text="Accepted")
        version_2.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{TITLE}: version 2")
        verdicts = page.locator("#verdicts")
        expect(verdicts.get_by_role("listitem").first).to_be_visible()
        expect(page.locator("#headline")).to_be_visible()
        checks(page, "auditor-submission")
        page.get_by_role("link", name="The one-page audit report").click()
        expect(page.locator("body")).to_contain_text(ORG_B_NAME)
        checks(page, "auditor-report", codes=False)  # measure ids beside labels, on purpose


# -- 7. Refusals and signing out ---------------------------------------------------------------


def refused(page: Page, server: HostedLive, path: str, checks: PageChecks, name: str) -> None:
    """Typing another's address: a refusal that shows nothing of it."""
    page.goto(server.url(path))
    body = page.locator("body")
    expect(body).to_contain_text("You do not have access to that page.")
    for secret in (ORG_B_NAME, QUERY, REASON, "Received late"):
        expect(body).not_to_contain_text(secret)
    checks(page, name)


def security(browser: Browser, server: HostedLive, submission_b: str, checks: PageChecks) -> None:
    """Provider 1's coordinator types provider 2's return and the funder's dashboard; signs out."""
    with signed_in(browser, server, "aroha") as page:
        refused(page, server, submission_b, checks, "aroha-refused-submission")
        refused(page, server, f"/funder/{FUNDER}", checks, "aroha-refused-dashboard")
        page.goto(server.url("/"))  # their own pages are theirs still
        nav(page, "Send a bundle")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Send a bundle")
        checks(page, "aroha-send-bundle")
        page.get_by_role("button", name="Sign out aroha").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        page.go_back()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.locator("#main")).not_to_contain_text(ORG_A_NAME)
        checks(page, "signed-out")
        page.goto(server.url("/returns"))
        expect(page).to_have_url(re.compile(r"/login\?next=%2Freturns$"))
        sign_in(page, None, "aroha")  # on that page, and back where they were going
        expect(page).to_have_url(server.url("/returns"))


def administration(browser: Browser, server: HostedLive, checks: PageChecks) -> None:
    """The admin's overview: everyone `peerreport admin` set up."""
    with signed_in(browser, server, "admin") as page:
        expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
        main = page.locator("#main")
        for name in (ORG_A_NAME, ORG_B_NAME, ORG_C_NAME, FUNDER_NAME):
            expect(main).to_contain_text(name)
        for person in SETUP.people:
            expect(main).to_contain_text(person.username)
        checks(page, "admin")


def test_hosted_journey(browser: Browser, tmp_path: Path, checks: PageChecks) -> None:
    downloads = tmp_path / "downloads"
    logs = {seed: sample_log(_folder(tmp_path / f"log-{seed}"), seed) for seed in (2026, 7)}
    with hosted_server(_folder(tmp_path / "server"), SETUP) as server:
        with signed_in(browser, server, "funder-ana") as funder:
            publish_rule_file(funder, tmp_path, checks)

            with filed_on(ON_TIME):  # see the module's docstring: provider 1 files on time
                provider_files(browser, server, "aroha", logs[2026], checks)
            provider_files(browser, server, "mere", logs[7], checks)

            dashboard(funder, downloads, checks)
            query(funder, checks)
            submission_b = funder.url.removeprefix(server.base)
            amend(browser, server, tmp_path, checks)
            accept(funder, checks)
            collate(funder, server, downloads, checks)
        audit(browser, server, checks)
        administration(browser, server, checks)
        security(browser, server, submission_b, checks)
    print(f"pages checked: {len(checks.visited)}")


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
