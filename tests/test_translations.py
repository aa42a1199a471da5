"""The Welsh catalogue is complete and safe: every message the code can show has a Welsh
translation, the app really serves it, and no translation can break the page it is on.

Messages are gathered from the source itself (as `make messages` does), so a new `_()` with
no Welsh fails here until it is translated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, ngettext

from pb import create_app

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "pb" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Welsh plural forms, as the catalogue's Plural-Forms header numbers them.
PLURAL_SAMPLES = {0: 4, 1: 1, 2: 2, 3: 3, 4: 6}


def _method_map() -> list[tuple[str, str]]:
    """The [method: pattern] sections of babel.cfg, in order."""
    sections = re.findall(r"^\[(\w+):\s*(.+?)\]\s*$", (ROOT / "babel.cfg").read_text(), re.M)
    return [(pattern, method) for method, pattern in sections]


@pytest.fixture(scope="module")
def source_messages() -> dict:
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), _method_map(), keywords=keywords):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, (message, f"{filename}:{lineno}"))
    assert len(found) > 1000, "the extraction found too little: is babel.cfg right?"
    return found


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="cy")


def _forms(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def test_every_message_has_a_welsh_translation(source_messages, catalogue):
    missing = []
    for key, (message, where) in sorted(source_messages.items(), key=lambda item: item[1][1]):
        entry = catalogue.get(key)
        if entry is None:
            missing.append(f"{where}: not in the catalogue (run `make messages`): {key!r}")
        elif entry.fuzzy:
            missing.append(f"{where}: marked fuzzy, check it: {key!r}")
        elif not all(form.strip() for form in _forms(entry)):
            missing.append(f"{where}: no Welsh yet: {key!r}")
        elif not isinstance(message, str) and len(_forms(entry)) != len(PLURAL_SAMPLES):
            missing.append(f"{where}: needs {len(PLURAL_SAMPLES)} plural forms: {key!r}")
    assert not missing, f"{len(missing)} messages lack Welsh:\n" + "\n".join(missing[:50])


def test_translations_keep_placeholders_and_markup(catalogue):
    broken = []
    for entry in catalogue:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, (tuple, list)) else (entry.id,)
        known = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        tags = sorted(TAG.findall(ids[0]))
        for form in _forms(entry):
            used = set(PLACEHOLDER.findall(form))
            if used - known:
                broken.append(f"{ids[0]!r}: unknown placeholder {sorted(used - known)}")
            if len(ids) == 1 and used != known:
                broken.append(f"{ids[0]!r}: placeholders {sorted(known)} became {sorted(used)}")
            if sorted(TAG.findall(form)) != tags:
                broken.append(f"{ids[0]!r}: markup changed")
            if entry.python_format and form:
                try:
                    form % {name: "x" for name in known}
                except (KeyError, ValueError, TypeError) as error:
                    broken.append(f"{ids[0]!r}: cannot be filled in ({error})")
    assert not broken, "\n".join(broken[:50])


def test_the_app_serves_the_catalogue_as_written(catalogue, tmp_path):
    """The compiled catalogue the app reads is the one in git (`make` compiles it)."""
    assert MO.exists(), "pb/translations/cy/LC_MESSAGES/messages.mo is missing: run `make install`"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite3'}"})
    stale = []
    with app.test_request_context(), force_locale("cy"):
        for entry in catalogue:
            if not entry.id or not all(_forms(entry)):
                continue
            ids = entry.id if isinstance(entry.id, (tuple, list)) else (entry.id,)
            values = {name: "x" for text in ids for name in PLACEHOLDER.findall(text)}
            if len(ids) == 1:
                want = entry.string % values if values else entry.string
                if gettext(entry.id, **values) != want:
                    stale.append(entry.id)
                continue
            values.pop("num", None)
            for index, n in PLURAL_SAMPLES.items():
                want = entry.string[index] % {**values, "num": n}
                if ngettext(ids[0], ids[1], n, **values) != want:
                    stale.append(ids[0])
                    break
    assert not stale, (f"{len(stale)} messages differ from the .po: run `make install` to "
                       f"compile it. First: {stale[:5]}")
