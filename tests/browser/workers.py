"""Browsers working side by side: one thread for each mode, with its own Playwright, Chromium
and tab (Playwright's objects belong to the thread that made them). The page checks of the
four modes then run at once, which on two cores takes about half the time of one after another.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Callable

from playwright.sync_api import sync_playwright

from tests.browser.browsing import Tabs


class ModeWorker:
    """A thread that runs jobs `job(tabs)` in order and hands back what each returns."""

    def __init__(self, site, chromium_path: str, name: str):
        self.site, self.chromium_path = site, chromium_path
        self.jobs: queue.Queue = queue.Queue()
        self.ready: Future = Future()
        self.thread = threading.Thread(target=self._run, name=f"browser-{name}", daemon=True)
        self.thread.start()
        self.ready.result(timeout=120)  # raises here if the browser did not start

    def _run(self) -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=self.chromium_path,
                                                     headless=True)
                tabs = Tabs(browser, self.site)
                self.ready.set_result(True)
                while (job := self.jobs.get()) is not None:
                    work, future = job
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        future.set_result(work(tabs))
                    except BaseException as error:  # noqa: BLE001 (pytest's failures too)
                        future.set_exception(error)
                tabs.close()
                browser.close()
        except BaseException as error:  # noqa: BLE001
            if not self.ready.done():
                self.ready.set_exception(error)
            raise

    def submit(self, work: Callable) -> Future:
        future: Future = Future()
        self.jobs.put((work, future))
        return future

    def stop(self, pending: list[Future]) -> None:
        for future in pending:
            future.cancel()  # those not started yet
        self.jobs.put(None)
        self.thread.join(timeout=120)
