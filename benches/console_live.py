"""The browser side of the console benchmark (benches/console.rs starts it): Playwright driving
Debian's Chromium, headless, against a running ssisd and one run going on there.

  console_live.py latency   one page follows the run's live view; for every record of the run's
                            event stream that the runner wrote after the page opened its stream,
                            the time from the record's own `time` (set by the runner) to its
                            arrival in the page's script. Prints one JSON line:
                            {"samples_ms": [...], "replayed": n, "ended": bool}.
  console_live.py follow N  N pages follow the run's live view, each in its own browser context
                            (its own connections: a browser keeps only six HTTP/1.1 connections
                            per host, and each live view holds one for its stream). Prints
                            `following <k>` once every page shows a message, then keeps them open
                            for SSISD_WINDOW seconds and prints `window-end <json>` with how many
                            messages each page showed, then closes them.

Environment: SSISD_URL (http://127.0.0.1:port), SSISD_COOKIE (the session cookie, name=value),
SSISD_RUN (the run's id), SSISD_WINDOW (seconds, follow only). Every wait is bounded; on a
timeout it prints what it saw and exits non-zero.
"""

import json
import os
import re
import signal
import sys
import time
from datetime import datetime

from playwright.sync_api import sync_playwright

BASE = os.environ["SSISD_URL"].rstrip("/")
COOKIE_NAME, COOKIE_VALUE = os.environ["SSISD_COOKIE"].split("=", 1)
RUN = os.environ["SSISD_RUN"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]

# Installed before the page's own script (through the debugging protocol, so the page's CSP does
# not apply to it): every EventSource the page opens also hands each message, with the moment it
# arrived, to a list the benchmark reads with page.evaluate (polling: the CSP blocks
# wait_for_function).
RECORD_ARRIVALS = """
(() => {
  window.__arrivals = [];
  window.__opened = null;
  const Original = window.EventSource;
  window.EventSource = class extends Original {
    constructor(...args) {
      super(...args);
      if (window.__opened === null) window.__opened = Date.now();
      this.addEventListener('message', (ev) => window.__arrivals.push([Date.now(), ev.data]));
    }
  };
})();
"""

FRACTION = re.compile(r"(\.\d{1,6})\d*")


def record_ms(text):
    """Milliseconds since the epoch of a record's RFC 3339 `time` (nanoseconds cut to micro)."""
    t = FRACTION.sub(lambda m: m.group(1), text.replace("Z", "+00:00"))
    return datetime.fromisoformat(t).timestamp() * 1000.0


def new_context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    ctx.set_default_timeout(30_000)
    host = re.sub(r"^https?://", "", BASE).split(":")[0]
    ctx.add_cookies([{"name": COOKIE_NAME, "value": COOKIE_VALUE, "domain": host, "path": "/"}])
    return ctx


def open_live_view(ctx, wait_until="domcontentloaded"):
    page = ctx.new_page()
    page.on("response", lambda r: r.status >= 400 and print(f"{r.status} {r.status_text} for {r.url}", file=sys.stderr, flush=True))
    page.add_init_script(RECORD_ARRIVALS)
    page.goto(f"{BASE}/running/{RUN}", wait_until=wait_until)
    return page


def latency(browser):
    ctx = new_context(browser)
    page = open_live_view(ctx)
    deadline = time.monotonic() + 120
    ended = False
    while time.monotonic() < deadline:
        ended = page.evaluate(
            "window.__arrivals.some(([, d]) => d.includes('\"event\":\"run_end\"'))"
            " || !!document.querySelector('#run-ended')"
        )
        if ended:
            break
        time.sleep(0.5)
    opened, arrivals = page.evaluate("[window.__opened, window.__arrivals]")
    samples, replayed = [], 0
    for arrived, data in arrivals:
        try:
            written = record_ms(json.loads(data)["time"])
        except (ValueError, KeyError):
            continue
        if opened is None or written < opened:
            replayed += 1  # written before the page asked: a replay, not a live record
        else:
            samples.append(arrived - written)
    print(json.dumps({"samples_ms": samples, "replayed": replayed, "ended": ended}), flush=True)
    ctx.close()
    return 0 if ended else 1


def follow(browser, count):
    window = float(os.environ.get("SSISD_WINDOW", "20"))
    pages = []
    failed = 0
    started = time.monotonic()
    budget = float(os.environ.get("SSISD_OPEN_BUDGET", "150"))
    for i in range(count):
        if time.monotonic() - started > budget:
            print(f"only {i} pages opened within {budget:.0f} s: measuring with those", file=sys.stderr, flush=True)
            break
        ctx = new_context(browser)
        # Only the navigation's start is awaited: the pages load side by side. A navigation the
        # loaded machine lets fail is tried again, twice.
        for attempt in range(3):
            try:
                pages.append((ctx, open_live_view(ctx, wait_until="commit")))
                break
            except Exception as e:  # noqa: BLE001 - Playwright raises its own Error subclasses
                print(f"page {i + 1}, attempt {attempt + 1}: {str(e).splitlines()[0]}", file=sys.stderr, flush=True)
                for page in ctx.pages:
                    page.close()
        else:
            ctx.close()
            failed += 1
        if (i + 1) % 10 == 0:
            print(f"{i + 1} pages opened in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    count = len(pages)
    shown = [0] * count

    def wait_for_messages(seconds):
        nonlocal shown
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = [p.evaluate("document.querySelectorAll('#messages .msg').length") for _, p in pages]
            if all(shown):
                return
            print(f"{sum(1 for n in shown if n)} of {count} pages show messages", file=sys.stderr, flush=True)
            time.sleep(2)

    wait_for_messages(45)
    # A page whose script never started (a request of it failed on the loaded machine) is
    # reloaded once, as its user would.
    for (_, page), n in zip(pages, shown):
        if not n and page.evaluate("window.__opened === null"):
            print("reloading a page whose live view did not start", file=sys.stderr, flush=True)
            try:
                page.reload(wait_until="commit")
            except Exception as e:  # noqa: BLE001 - Playwright raises its own Error subclasses
                print(f"the reload failed: {str(e).splitlines()[0]}", file=sys.stderr, flush=True)
    if not all(shown):
        wait_for_messages(45)
    live = sum(1 for n in shown if n)
    for (_, page), n in zip(pages, shown):
        if not n:
            state = page.evaluate(
                "[document.readyState, (document.querySelector('#notice') || {}).textContent,"
                " window.__opened, (window.__arrivals || []).length]"
            )
            print(f"a page shows no message: {page.url} {state}", file=sys.stderr, flush=True)
    if failed:
        print(f"{failed} pages could not be opened", file=sys.stderr, flush=True)
    print(f"following {live}", flush=True)
    if live == 0:
        print(f"window-end {json.dumps({'shown': shown, 'complete': False})}", flush=True)
        return 1
    time.sleep(window)
    before = shown
    shown = [p.evaluate("document.querySelectorAll('#messages .msg').length") for _, p in pages]
    grew = sum(1 for a, b in zip(before, shown) if b > a)
    print(f"window-end {json.dumps({'shown': shown, 'grew': grew, 'complete': True})}", flush=True)
    for ctx, _ in pages:
        ctx.close()
    return 0


def main():
    # Asked to end (the benchmark's timeout): leave through the `finally` that closes Chromium.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mode = sys.argv[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            code = latency(browser) if mode == "latency" else follow(browser, int(sys.argv[2]))
        finally:
            browser.close()
    sys.exit(code)


if __name__ == "__main__":
    main()
