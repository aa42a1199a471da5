"""A resident's browser tab, and what the suite checks on each page it reaches."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from axe_playwright_python.base import AXE_SCRIPT

from tests.browser.world import PASSWORD

# Each mode is set by the query string on the first page and kept in the session.
MODES = {
    "en": {"lang": "en", "easy": "off"},
    "cy": {"lang": "cy", "easy": "off"},
    "easy": {"lang": "en", "easy": "on"},
    "cy-easy": {"lang": "cy", "easy": "on"},
}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no separate "wcag22a" rules).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGE_WEIGHT_LIMIT = 60 * 1024
PHOTOS = re.compile(r"/photos/\d+\.jpg")


class Browsing:
    """One browser context and page in one mode, with the network traffic it records."""

    def __init__(self, page, cdp, site, mode: str):
        self.page, self.cdp, self.site, self.mode = page, cdp, site, mode
        self.requests: dict[str, dict] = {}

    # Getting about -------------------------------------------------------------------------
    def goto(self, path: str, status: int | None = None):
        """Open `path` with the mode's query string; check the status when given."""
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True)) | MODES[self.mode]
        url = self.site.url + urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))
        response = self.page.goto(url)
        if status is not None:
            assert response.status == status, f"{url} answered {response.status}"
        return response

    def submit(self, button: str):
        """Press the button (a CSS selector) and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(button)

    def sign_in(self, email: str):
        self.goto("/auth/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", PASSWORD)
        self.submit("main form button[type=submit]")
        assert "/auth/login" not in self.page.url, f"could not sign in as {email}"

    # What the network did ------------------------------------------------------------------
    def _sent(self, event):
        entry = self.requests.setdefault(event["requestId"], {})
        entry.update(url=event["request"]["url"], loader=event.get("loaderId"),
                     type=event.get("type"))

    def _finished(self, event):
        self.requests.setdefault(event["requestId"], {})["size"] = event["encodedDataLength"]

    def _failed(self, event):
        self.requests.setdefault(event["requestId"], {})["size"] = 0

    def last_page_load(self) -> list[dict]:
        """The requests of the last document loaded and everything it pulled in (the icon is
        asked for after the load event: wait a little for it to arrive)."""
        self.page.wait_for_load_state("load")
        for _ in range(40):
            documents = [r for r in self.requests.values() if r.get("type") == "Document"]
            if not documents:
                return []
            loader = documents[-1]["loader"]
            loaded = [r for r in self.requests.values() if r.get("loader") == loader]
            if all("size" in r for r in loaded):
                break
            self.page.wait_for_timeout(25)
        return loaded


class Tabs:
    """One browser context and tab for each mode, shared by the tests and reset between them
    (a new context for each test would cost a third of a second, hundreds of times)."""

    def __init__(self, browser, site):
        self.browser, self.site = browser, site
        self.open: dict[str, Browsing] = {}

    def get(self, mode: str) -> Browsing:
        if mode not in self.open:
            context = self.browser.new_context(viewport=DESKTOP, locale="en-GB")
            context.set_default_timeout(30_000)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            b = Browsing(page, cdp, self.site, mode)
            cdp.send("Network.enable")
            # Every load as a first visit, so the page weight counts styles and scripts too.
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.on("Network.requestWillBeSent", b._sent)
            cdp.on("Network.loadingFinished", b._finished)
            cdp.on("Network.loadingFailed", b._failed)
            self.open[mode] = b
        return self.open[mode]

    def close(self) -> None:
        for b in self.open.values():
            b.page.context.close()


@contextmanager
def browsing(tabs: Tabs, mode: str, viewport=DESKTOP):
    """A clean tab in `mode`: no cookies (so no session), nothing recorded yet."""
    b = tabs.get(mode)
    b.page.goto("about:blank")
    b.page.context.clear_cookies()
    b.page.set_viewport_size(viewport)
    b.requests.clear()
    try:
        yield b
    finally:
        b.page.goto("about:blank")  # stops timers and refreshes before the next test


# Checks: each returns a list of problems, empty when the page passes ---------------------------
def axe_problems(page) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    problems = []
    for violation in results["violations"]:
        for node in violation["nodes"][:5]:
            detail = node.get("failureSummary", "").replace("\n", " ")
            problems.append(f"axe {violation['id']} ({violation['impact']}): "
                            f"{' '.join(map(str, node['target']))}: {node['html'][:160]} "
                            f"-- {detail[:300]}")
    return problems


REFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    const spills = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
                   getComputedStyle(el).overflowX === 'visible';
    if ((box.right > root.clientWidth + 0.5 && box.width > 0) || spills) {
      wide.push(`${name(el)} right=${Math.round(box.right)} content=${el.scrollWidth}`);
    }
  }
  return [`scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`, ...wide.slice(-6)];
}"""


def reflow_problems(page) -> list[str]:
    """At 320 CSS px, nothing scrolls sideways."""
    return [f"reflow at 320px: {p}" for p in page.evaluate(REFLOW)]


# What a focused element looks like: the properties that can show focus, with an outline that
# cannot be seen (none, zero width or transparent, as for Windows high contrast) counted as none.
FOCUS_STYLE = """
window.__pbFocusLook = (el) => {
  const look = (style) => {
    const outline = (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0 ||
                     /rgba\\(.*,\\s*0\\)$/.test(style.outlineColor) || style.outlineColor === 'transparent')
      ? 'none' : `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor} ${style.outlineOffset}`;
    return [outline, style.boxShadow, style.backgroundColor, style.color, style.borderTopColor,
            style.borderBottomColor, style.borderLeftColor, style.borderRightColor,
            style.borderBottomWidth, style.textDecorationLine, style.textDecorationThickness].join('|');
  };
  const parts = [el, ...(el.labels || [])];
  return parts.map(p => [look(getComputedStyle(p)), look(getComputedStyle(p, '::before')),
                          look(getComputedStyle(p, '::after'))].join('/')).join('#');
};
window.__pbDescribe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '') +
  ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '"';
window.__pbUnfocused = new Map();
for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')) {
  window.__pbUnfocused.set(el, window.__pbFocusLook(el));
}
"""
FOCUS_STEP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement || el === window.__pbFirst) {
    return {done: true};
  }
  window.__pbFirst = window.__pbFirst || el;
  const before = window.__pbUnfocused.get(el);
  // Not hidden behind something else (a sticky bar): some part of it can be seen.
  const box = el.getBoundingClientRect();
  const mine = (hit) => hit && (el.contains(hit) ||
    [...(el.labels || [])].some(label => label.contains(hit)));
  const points = [[box.left + 2, box.top + 2], [box.right - 2, box.top + 2],
                  [box.left + 2, box.bottom - 2], [box.right - 2, box.bottom - 2],
                  [(box.left + box.right) / 2, (box.top + box.bottom) / 2]];
  return {what: window.__pbDescribe(el), seen: before !== undefined,
          visible: before !== window.__pbFocusLook(el),
          uncovered: box.width === 0 || points.some(([x, y]) => mine(document.elementFromPoint(x, y)))};
}"""


def focus_problems(page, most: int = 200) -> list[str]:
    """Tab through the page: every element that takes focus looks different when focused, and
    is not hidden behind anything (WCAG 2.4.7 and 2.4.11)."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); }")
    page.evaluate(f"() => {{ {FOCUS_STYLE} }}")
    problems, steps = [], 0
    for steps in range(most):
        page.keyboard.press("Tab")
        step = page.evaluate(FOCUS_STEP)
        if step.get("done"):
            break
        if not step["seen"]:
            problems.append(f"focus: {step['what']} was not on the page before tabbing")
        elif not step["visible"]:
            problems.append(f"focus: {step['what']} shows no visible focus indicator")
        if not step["uncovered"]:
            problems.append(f"focus: {step['what']} is hidden behind something else")
    else:
        problems.append(f"focus: still tabbing after {most} steps")
    return problems


TARGETS = """() => {
  const small = [];
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    // Not a touch target: not drawn, or kept off screen until focused (the skip link).
    if (!el.checkVisibility() || box.width === 0 || box.right < 0) continue;
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} ` +
                 `"${(el.innerText || el.value || '').trim().slice(0, 30)}" ` +
                 `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def target_problems(page, where: str) -> list[str]:
    """Every control on the page is at least 44 by 44 CSS px (kiosk pages)."""
    return [f"touch target under 44x44 at {where}: {t}" for t in page.evaluate(TARGETS)]


def weight_problems(b: Browsing) -> list[str]:
    """The page and all it loads is at most 60 KB as sent (photos aside), all from this site."""
    loaded = b.last_page_load()
    problems = []
    own = urlsplit(b.site.url).netloc
    for request in b.requests.values():
        parts = urlsplit(request.get("url", ""))
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            problems.append(f"request to another site: {request['url']}")
    total = sum(r.get("size", 0) for r in loaded if not PHOTOS.search(r.get("url", "")))
    if total > PAGE_WEIGHT_LIMIT:
        sizes = ", ".join(f"{urlsplit(r['url']).path} {r.get('size', 0)}" for r in loaded)
        problems.append(f"page weight {total} bytes > {PAGE_WEIGHT_LIMIT} ({sizes})")
    return problems


def describe(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)
