"""Small line icons drawn inline: beside categories on every page, and beside key points in
Easy Read.

Icons are decoration: each is hidden from assistive technology and the words beside it always
say the same thing. A page carries only the drawings it uses, once each, as SVG symbols that
every icon on the page points to (`icon_sprite`), so a list of 24 projects stays light.
"""

from __future__ import annotations

import re

from flask import g, has_request_context
from markupsafe import Markup

# 24 by 24, drawn with a 2 px line in the text's own colour: the stylesheet's .icon rule sets
# the line, so that each drawing stays short.
SYMBOLS = {
    # Categories
    "environment": '<path d="M12 22v-6M12 2 4 16h16z"/>',
    "young": '<circle cx="9" cy="5" r="3"/><path d="M9 9v7M5 12h8M6 21l3-5 3 5"/>'
             '<circle cx="18" cy="18" r="3"/>',
    "older": '<circle cx="10" cy="4.5" r="2.5"/><path d="M10 8v7l-3 6M10 15l3 6M10 10l-3 4'
             'M10 10l6 2M17 12v10"/>',
    "health": '<path d="M12 21s-8-5-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 10c0 6-8 11-8 '
              '11z"/>',
    "arts": '<path d="M12 3a9 9 0 1 0 0 18c1.5 0 2-1 2-2s-1-2 0-3 2-1 4-1a3 3 0 0 0 3-3c0-5-4-9-9'
            '-9z"/><circle cx="7.5" cy="11" r="1"/><circle cx="11" cy="7" r="1"/>'
            '<circle cx="16" cy="8" r="1"/>',
    "community": '<circle cx="8" cy="7" r="3"/><circle cx="17" cy="8" r="2.5"/>'
                 '<path d="M2 21v-1a6 6 0 0 1 12 0v1M15 14a4.5 4.5 0 0 1 7 4v1"/>',
    "transport": '<rect x="4" y="3" width="16" height="15" rx="2"/><path d="M4 11h16M8 18v3'
                 'M16 18v3M8 14.5h.01M16 14.5h.01"/>',
    "education": '<path d="M2 5h7a3 3 0 0 1 3 3v13a2 2 0 0 0-2-2H2zM22 5h-7a3 3 0 0 0-3 3v13a2 2 '
                 '0 0 1 2-2h8z"/>',
    "food": '<path d="M12 7C9 5 4 6 4 12s4 10 6 10c1 0 1.5-1 2-1s1 1 2 1c2 0 6-4 6-10s-5-7-8-5z'
            'M12 7c0-2 1-4 3-5"/>',
    "safety": '<path d="M12 2 4 5v6c0 5 3.5 9 8 11 4.5-2 8-6 8-11V5z"/>',
    "housing": '<path d="M3 11 12 3l9 8M5 9v12h14V9M10 21v-6h4v6"/>',
    "category": '<path d="M3 3h8l10 10-8 8L3 11z"/><circle cx="7.5" cy="7.5" r="1.5"/>',
    # Key points in Easy Read
    "money": '<rect x="2" y="6" width="20" height="12" rx="2"/><circle cx="12" cy="12" r="2.5"/>'
             '<path d="M6 9.5v5M18 9.5v5"/>',
    "vote": '<rect x="3" y="3" width="18" height="18" rx="2"/><path d="m7 12 3 3 7-7"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4'
                'M16 3v4"/>',
    "secret": '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0'
              'v4"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "email": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "check": '<circle cx="11" cy="11" r="7"/><path d="m20 20-4-4"/>',
    "results": '<path d="M4 20h16M7 16v-5M12 16V6M17 16V9"/>',
    "idea": '<path d="M9 18h6M10 21h4M12 3a6 6 0 0 0-3.5 10.9c.6.5 1 1.2 1 2.1h5c0-.9.4-1.6 1-2.1'
            'A6 6 0 0 0 12 3z"/>',
    "warning": '<path d="M12 3 2 21h20zM12 10v5M12 18v.5"/>',
}

# Which icon a category gets: the first of these words to appear in its name wins, so
# "Parks and trees" is "environment" and "Road safety" is "transport". Each pattern matches at
# the start of a word ("park" finds "parks"; "art" does not find "artificial"). English and
# Welsh words, since organisers may type their own categories in either.
CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("environment", r"environment|green|parks?\b|trees?\b|garden|nature|wildlife|climate|"
                    r"gwyrdd|parc|coed|amgylchedd|natur"),
    ("young", r"young|youth|child|kids?\b|famil|bab(y|ies)|toddler|teen|school|"
              r"plant\b|ifanc|ieuenctid|teulu"),
    ("older", r"older|elder|senior|retire|later life|hŷn"),
    ("health", r"health|sport|wellbeing|well being|fitness|exercise|iechyd|lles\b|chwaraeon"),
    ("arts", r"arts?\b|culture|cultural|heritage|music|creativ|museum|library|"
             r"celf|diwylliant|treftadaeth|cerddoriaeth"),
    ("transport", r"transport|roads?\b|travel|bus(es)?\b|cycl|paths?\b|traffic|"
                  r"trafnidiaeth|ffordd|teithio"),
    ("education", r"education|learning|skills?\b|training|literacy|digital|"
                  r"addysg|dysgu|sgiliau"),
    ("food", r"food|meals?\b|cook|lunch|kitchen|allotment|bwyd|coginio"),
    ("safety", r"safe|crime|security|diogel"),
    ("housing", r"housing|homes?\b|house|tai\b|cartref"),
)
# Words too general to beat any of the above wherever they stand: "Community safety" is
# safety, "Pobl hŷn" (older people) is older.
FALLBACK_KEYWORDS = (("community", r"communit|people|neighbour|volunteer|social|residents?\b|"
                                   r"everyone|cymuned|pobl|gwirfodd|pawb"),)
DEFAULT_ICON = "category"
# Other names for a drawing, so that Easy Read text can say what it means.
ALIASES = {"people": "community"}


def _compiled(table: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern]]:
    return [(name, re.compile(r"(?<!\w)(?:" + words + ")", re.IGNORECASE))
            for name, words in table]


_KEYWORDS = _compiled(CATEGORY_KEYWORDS)
_FALLBACK = _compiled(FALLBACK_KEYWORDS)


def category_icon(*names: str | None) -> str:
    """The icon for a category, chosen by the words in its name.

    Parameters
    ----------
    *names : str or None
        What the category is called: its key ("older_people") and the label people read
        ("Older people"); the first name that matches any word decides.

    Returns
    -------
    str
        A key of `SYMBOLS`: one of the categories' icons, or "category" when no word matches.
    """
    for name in names:
        text = (name or "").replace("_", " ").replace("-", " ")
        for table in (_KEYWORDS, _FALLBACK):
            found = [(match.start(), order, icon) for order, (icon, pattern) in enumerate(table)
                     if (match := pattern.search(text))]
            if found:
                return min(found)[2]
    return DEFAULT_ICON


def icon(name: str, kind: str = "") -> Markup:
    """An icon for a page: hidden from screen readers, its drawing added to the page once."""
    name = ALIASES.get(name, name)
    name = name if name in SYMBOLS else DEFAULT_ICON
    if has_request_context():
        g.setdefault("icons_used", set()).add(name)
    kind = f" icon-{kind}" if kind else ""
    return Markup(f'<svg class="icon{kind}" aria-hidden="true" focusable="false">'
                  f'<use href="#icon-{name}"></use></svg>')


def icon_sprite() -> Markup:
    """The drawings of the icons this page used, for the end of the page."""
    used = sorted(g.get("icons_used", ())) if has_request_context() else []
    if not used:
        return Markup("")
    symbols = "".join(f'<symbol id="icon-{name}" viewBox="0 0 24 24">{SYMBOLS[name]}</symbol>'
                      for name in used)
    return Markup(f'<svg class="icon-sprite" aria-hidden="true" focusable="false">{symbols}</svg>')
