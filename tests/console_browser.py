"""The web console in a real browser: Playwright driving Debian's Chromium, headless, against a
running ssisd started by tests/console.rs. It signs in as an administrator, an operator and a
limited user and checks what each is offered and refused; browses, imports, exports (byte for
byte), copies, moves, renames (packages and folders), deletes, runs a package and watches it to its end, stops a long run, reads an
execution's messages and timeline, creates a schedule (checked as typed), sees it fire and edits it, follows the event log,
and checks that hostile names are shown as text. Screenshots of each page go to SSISD_SHOTS.

Environment: SSISD_URL (http://127.0.0.1:port), SSISD_TOKENS (JSON: admin, operator, limited),
SSISD_FIXTURES (tests/packages/running), SSISD_SHOTS (a directory). Exits non-zero on the
first failed check, naming it.
"""

import json
import os
import pathlib
import re
import sys
import tempfile
import time

from playwright.sync_api import expect, sync_playwright

BASE = os.environ["SSISD_URL"].rstrip("/")
TOKENS = json.loads(os.environ["SSISD_TOKENS"])
FIXTURES = pathlib.Path(os.environ["SSISD_FIXTURES"])
SHOTS = pathlib.Path(os.environ["SSISD_SHOTS"])
SHOTS.mkdir(parents=True, exist_ok=True)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
FOLDER = "Console Tests"
# Allowed in a package name: quotes ', &, unicode, right-to-left mark. Not allowed: < > " (the
# API refuses them), so the markup goes into the package's own name and description.
HOSTILE_NAME = "O'Brien & Søn ‮ünï 'x' onerror=alert(1)"
HOSTILE_MARKUP = '<img src=x onerror=alert(1)><script>alert("pwn")</script> "quoted" ünïcødé'

alerts = []
page_errors = []


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def hostile_package():
    esc = (
        HOSTILE_MARKUP.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )
    return f"""<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{44444444-0000-4000-8000-000000000001}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="{esc}" DTS:Description="{esc}" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
</DTS:Executable>
""".encode()


def new_context(browser, **kw):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True, **kw)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def watch(page):
    def on_dialog(d):
        if d.type == "alert":
            alerts.append(d.message)
            d.dismiss()
        else:
            d.accept()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    return page


def sign_in(browser, who, **kw):
    ctx = new_context(browser, **kw)
    page = watch(ctx.new_page())
    page.goto(BASE + "/packages")
    expect(page).to_have_url(BASE + "/login?next=%2Fpackages")
    page.fill("#token", TOKENS[who])
    page.click("button[type=submit]")
    expect(page).to_have_url(BASE + "/packages")
    return ctx, page


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def api(page, method, path, body=None, content_type="application/json", csrf=True):
    """A request from inside the page, as its script would send it (with the session)."""
    return page.evaluate(
        """async ([method, path, body, type, csrf]) => {
            const headers = {};
            if (csrf) headers['X-CSRF-Token'] = document.querySelector('meta[name="csrf-token"]').content;
            if (body !== null) headers['Content-Type'] = type;
            const r = await fetch('/api/v1/' + path, { method, headers, body });
            return { status: r.status, text: await r.text() };
        }""",
        [method, path, body, content_type, csrf],
    )


def open_folder(page, name=FOLDER):
    page.goto(BASE + "/packages/File%20System/" + name.replace(" ", "%20"))
    expect(page.locator("#crumbs")).to_contain_text(name)


def import_file(page, path, name):
    page.set_input_files("#import-file", str(path))
    page.fill("#import-name", name)
    page.click("#import-form button[type=submit]")
    expect(page.locator("#notice")).to_have_text(f"Imported {name}.")


def open_package(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.locator("#package-title")).to_have_text(name)


def close_dialog(page):
    page.keyboard.press("Escape")
    expect(page.locator("#package-dialog")).not_to_be_visible()


def main():
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)

        # --- the administrator -----------------------------------------------------------
        ctx, page = sign_in(browser, "admin")
        check(page.locator("body").get_attribute("data-role") == "administrator", "signed in as administrator")
        expect(page.locator("#tree")).to_contain_text("File System")
        shot(page, "packages-top")

        page.click("#tree >> text=File System")
        page.fill("#new-folder", FOLDER)
        page.click("#folder-form button[type=submit]")
        expect(page.locator("#notice")).to_have_text(f"Created folder {FOLDER}.")
        page.get_by_role("link", name=FOLDER).click()
        expect(page.locator("#crumbs")).to_contain_text(FOLDER)

        quick = FIXTURES / "quick.dtsx"
        import_file(page, quick, "quick")
        import_file(page, FIXTURES / "sleep_short.dtsx", "sleep_short")
        import_file(page, FIXTURES / "sleep_long.dtsx", "sleep_long")
        with tempfile.NamedTemporaryFile(suffix=".dtsx") as f:
            f.write(hostile_package())
            f.flush()
            import_file(page, f.name, HOSTILE_NAME)
        expect(page.locator("#listing")).to_contain_text("sleep_long")
        shot(page, "packages")

        # Export, byte for byte.
        open_package(page, "quick")
        expect(page.locator("#package-details")).to_contain_text("Protection level")
        shot(page, "package-details")
        with page.expect_download() as dl:
            page.click("#package-actions >> text=Export")
        exported = pathlib.Path(dl.value.path()).read_bytes()
        check(exported == quick.read_bytes(), "export is the imported file byte for byte")
        check(dl.value.suggested_filename == "quick.dtsx", "export is offered as quick.dtsx")

        # Copy to the parent folder, move the copy on to another folder, delete it there.
        page.fill("#transfer-to", "File System")
        page.click("#package-actions >> button:text-is('Copy')")
        expect(page.locator("#notice")).to_have_text("Copied quick to File System.")
        check(api(page, "POST", "folders/File%20System/Archive")["status"] == 201, "folder Archive made")
        page.goto(BASE + "/packages/File%20System")
        open_package(page, "quick")
        page.fill("#transfer-to", "File System/Archive")
        page.click("#package-actions >> button:text-is('Move')")
        expect(page.locator("#notice")).to_have_text("Moved quick to File System/Archive.")
        expect(page.get_by_role("button", name="quick", exact=True)).to_have_count(0)
        page.goto(BASE + "/packages/File%20System/Archive")
        open_package(page, "quick")
        page.fill("#rename-to", "quick (renamed)")
        page.click("#package-actions >> button:text-is('Rename')")
        expect(page.locator("#notice")).to_have_text("Renamed quick to quick (renamed).")
        open_package(page, "quick (renamed)")
        page.click("#package-actions >> text=Delete")
        expect(page.locator("#notice")).to_have_text("Deleted quick (renamed).")
        expect(page.get_by_role("button", name="quick (renamed)", exact=True)).to_have_count(0)
        check(api(page, "GET", "packages/File%20System/Archive/quick%20(renamed)")["status"] == 404, "the deleted copy is gone from the store")
        check(api(page, "GET", "packages/File%20System/quick")["status"] == 404, "the moved copy left its first folder")
        check(api(page, "GET", "packages/File%20System/" + FOLDER.replace(" ", "%20") + "/quick")["status"] == 200,
              "the original stays")

        # Rename a folder: offered to the administrator; the page follows the new name.
        check(api(page, "POST", "folders/File%20System/Rename%20Me")["status"] == 201, "folder Rename Me made")
        page.goto(BASE + "/packages/File%20System/Rename%20Me")
        page.fill("#folder-rename-to", "Renamed & 'ünï'")
        page.click("#folder-rename-form button[type=submit]")
        expect(page.locator("#notice")).to_have_text("Renamed the folder Rename Me to Renamed & 'ünï'.")
        expect(page.locator("#crumbs")).to_contain_text("Renamed & 'ünï'")
        check(api(page, "GET", "folders/File%20System/Rename%20Me")["status"] == 404, "the folder's old name is gone")

        # A hostile name and markup are shown as text.
        open_folder(page)
        open_package(page, HOSTILE_NAME)
        details = page.locator("#package-details")
        expect(details).to_contain_text(HOSTILE_MARKUP)
        check(page.locator("main script, main img, #package-dialog img").count() == 0, "no element made from a name")
        shot(page, "hostile-name")
        close_dialog(page)

        # Run a package and watch it to its end; read its messages and timeline.
        open_package(page, "sleep_short")
        page.click("#package-actions >> text=Run…")
        page.fill("#run-set", "\\Package.Properties[MaxErrorCount];2")
        page.click("#run-form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/running/[^/]+$"))
        expect(page.locator("#run-ended")).to_contain_text("succeeded", timeout=TIMEOUT_MS)
        page.click("#run-ended a")
        expect(page.locator("#overview")).to_contain_text("succeeded")
        expect(page.locator("#messages .msg").first).to_be_visible()
        expect(page.locator("#timeline .bar").first).to_be_visible()
        page.select_option("#message-filter select", "30,40")
        expect(page.locator("#messages")).to_contain_text("Step")
        shot(page, "execution")

        # A long run: seen in the list, stopped from its live view.
        open_folder(page)
        open_package(page, "sleep_long")
        page.click("#package-actions >> text=Run…")
        page.click("#run-form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/running/[^/]+$"))
        run_url = page.url
        page.goto(BASE + "/running")
        expect(page.locator("#runs")).to_contain_text("sleep_long")
        shot(page, "running")
        page.goto(run_url)
        expect(page.locator("#executing")).to_contain_text("Step")
        # Messages arrive live from the run's event stream.
        expect(page.locator("#messages")).to_contain_text("Step")
        shot(page, "run-live")
        page.click("#run-actions >> text=Stop")
        expect(page.locator("#run-ended")).to_contain_text("canceled", timeout=TIMEOUT_MS)

        # A schedule that fires every 2 seconds, checked by the service as it is typed, seen
        # firing, then edited (a calendar event instead, disabled).
        page.goto(BASE + "/schedules")
        page.click("#schedule-new summary")
        page.fill("#schedule-form input[name=name]", "every-two-seconds")
        page.fill("#schedule-form input[name=package]", f"File System/{FOLDER}/no such package")
        page.fill("#schedule-form input[name=when]", "*/2 *")
        expect(page.locator("#schedule-check")).to_contain_text("cron")
        page.fill("#schedule-form input[name=when]", "*/2 * * * * *")
        expect(page.locator("#schedule-check")).to_contain_text("does not exist")
        page.fill("#schedule-form input[name=package]", f"File System/{FOLDER}/sleep_short")
        expect(page.locator("#schedule-check")).to_contain_text("Next runs")
        check(api(page, "GET", "schedules/every-two-seconds")["status"] == 404, "checking as you type stores nothing")
        page.click("#schedule-form button[type=submit]")
        expect(page.locator("#schedules")).to_contain_text("every-two-seconds")
        deadline = time.monotonic() + 45
        fired = False
        while time.monotonic() < deadline and not fired:
            r = api(page, "GET", "executions?limit=50")
            fired = any(x.get("started_by") == "schedule:every-two-seconds" for x in json.loads(r["text"])["executions"])
            if not fired:
                time.sleep(1)
        check(fired, "the schedule fired")
        page.reload()
        page.click("#schedules >> text=Edit")
        expect(page.locator("#schedule-summary")).to_have_text("Edit schedule every-two-seconds")
        check(page.locator("#schedule-form input[name=name]").get_attribute("readonly") is not None,
              "a schedule's name is not changed by an edit")
        page.select_option("#schedule-form select[name=kind]", "calendar")
        page.fill("#schedule-form input[name=when]", "Mon..Fri *-*-* 03:00:00")
        expect(page.locator("#schedule-check")).to_contain_text("Next runs")
        page.fill("#schedule-form input[name=retry_attempts]", "2")
        page.uncheck("#schedule-form input[name=enabled]")
        shot(page, "schedule-edit")
        page.click("#schedule-form button[type=submit]")
        expect(page.locator("#notice")).to_have_text("Saved the schedule every-two-seconds.")
        expect(page.locator("#schedules")).to_contain_text("Mon..Fri *-*-* 03:00:00")
        expect(page.locator("#schedules")).to_contain_text("disabled")
        saved = json.loads(api(page, "GET", "schedules/every-two-seconds")["text"])
        check(saved.get("calendar") == "Mon..Fri *-*-* 03:00:00" and "cron" not in saved and saved.get("retry_attempts") == 2
              and saved.get("enabled") is False and saved.get("package") == f"File System/{FOLDER}/sleep_short",
              f"the edit is stored as made ({saved})")
        shot(page, "schedules")
        page.goto(BASE + "/history?package=sleep_short")
        expect(page.locator("#executions")).to_contain_text("schedule:every-two-seconds")
        shot(page, "history")

        # Events, following live.
        page.goto(BASE + "/events")
        expect(page.locator("#events tbody tr").first).to_be_visible()
        api(page, "POST", "folders/File%20System/" + FOLDER.replace(" ", "%20") + "/Live%20Event")
        expect(page.locator("#events")).to_contain_text("Live Event")
        shot(page, "events")

        page.goto(BASE + "/service")
        expect(page.locator("#status")).to_contain_text("ssisd")
        expect(page.locator("#folders")).to_contain_text("File System")
        # Metrics at a glance: the runs this test started are counted.
        expect(page.locator("#metrics")).to_contain_text("Runs started")
        started_runs = page.locator("#metrics .figure", has_text="Runs started").locator("strong").inner_text()
        check(int(started_runs.replace(",", "")) >= 3, f"the service page counts the runs started ({started_runs})")
        shot(page, "service")

        # 390 px wide, and dark.
        page.set_viewport_size({"width": 390, "height": 844})
        open_folder(page)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        check(overflow <= 392, f"no sideways scrolling at 390 px (page is {overflow} px wide)")
        shot(page, "packages-390")
        # Keyboard: the skip link comes first and the package opens with Enter.
        page.keyboard.press("Tab")
        check(page.evaluate("document.activeElement.className") == "skip", "the first Tab reaches the skip link")
        page.get_by_role("button", name="quick", exact=True).focus()
        page.keyboard.press("Enter")
        expect(page.locator("#package-dialog")).to_be_visible()
        close_dialog(page)
        ctx.close()

        dark, page = sign_in(browser, "admin", color_scheme="dark")
        open_folder(page)
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        check(bg != "rgb(247, 247, 248)", f"dark colours in dark mode ({bg})")
        shot(page, "packages-dark")
        dark.close()

        # --- an operator: sees, runs, exports; may not import, delete or change folders ------
        ctx, page = sign_in(browser, "operator")
        open_folder(page)
        expect(page.locator("#listing")).to_contain_text("quick")
        check(page.locator("#import-form").count() == 0, "operator: import not offered")
        check(page.locator("#folder-form").count() == 0, "operator: create folder not offered")
        check(page.locator("#folder-rename-form").count() == 0, "operator: rename folder not offered")
        r = api(page, "PATCH", "folders/File%20System/" + FOLDER.replace(" ", "%20"), '{"name": "Mine"}')
        check(r["status"] == 403, f"operator: a folder rename is refused anyway ({r['status']})")
        open_package(page, "quick")
        expect(page.locator("#package-actions")).to_contain_text("Export")
        check(page.locator("#package-actions >> text=Delete").count() == 0, "operator: delete not offered")
        close_dialog(page)
        r = api(page, "PUT", "packages/File%20System/" + FOLDER.replace(" ", "%20") + "/sneaky",
                quick.read_text(), "application/xml")
        check(r["status"] == 403, f"operator: an import is refused anyway ({r['status']})")
        r = api(page, "DELETE", "packages/File%20System/" + FOLDER.replace(" ", "%20") + "/quick")
        check(r["status"] == 403, f"operator: a delete is refused anyway ({r['status']})")
        r = api(page, "POST", "folders/File%20System/x", csrf=False)
        check(r["status"] == 403 and "X-CSRF-Token" in r["text"], "a change without the CSRF token is refused")
        shot(page, "operator")
        ctx.close()

        # --- a limited user: no event log, no stopping others' runs -----------------------------
        ctx, page = sign_in(browser, "limited")
        check(page.locator("header nav >> text=Events").count() == 0, "limited user: Events not offered")
        open_folder(page)
        import_file(page, quick, "lenas")
        open_package(page, "quick")
        check(page.locator("#package-actions a, #package-actions button").count() == 0,
              "limited user: nothing offered on another's package")
        close_dialog(page)
        open_package(page, "lenas")
        for action in ["Export", "Run…", "Delete"]:
            expect(page.locator("#package-actions")).to_contain_text(action)
        shot(page, "limited-user")
        close_dialog(page)
        r = api(page, "DELETE", "packages/File%20System/" + FOLDER.replace(" ", "%20") + "/quick")
        check(r["status"] == 403, f"limited user: deleting another's package is refused anyway ({r['status']})")
        page.goto(BASE + "/events")
        expect(page.locator("#notice")).to_contain_text("may not read the event log")
        r = api(page, "POST", "reload", "{}")
        check(r["status"] == 403, f"limited user: reload refused ({r['status']})")
        ctx.close()

        # Signing out ends the session for the API too.
        ctx, page = sign_in(browser, "admin")
        page.click("#sign-out")
        expect(page).to_have_url(BASE + "/login")
        r = page.evaluate("fetch('/api/v1/whoami').then(r => r.status)")
        check(r == 401, "after signing out the session no longer works")
        ctx.close()
        browser.close()

    check(not alerts, f"no script from a name ran (alerts: {alerts})")
    check(not page_errors, f"no script errors in the pages ({page_errors})")
    print(f"console browser test passed in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
