from __future__ import annotations

import re

from tests.factories import PASSWORD


def login(client, email, password=PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def logout(client):
    return client.post("/auth/logout")


def codes_on_page(html: str) -> list[str]:
    return re.findall(r"<code>([0-9A-Z]{5}-[0-9A-Z]{5})</code>", html)


def receipt_on_page(html: str) -> str:
    match = re.search(r'class="receipt">([0-9A-Z-]+)<', html)
    assert match, "no receipt on the page"
    return match.group(1)
