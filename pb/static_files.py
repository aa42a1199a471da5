"""Static files (styles, scripts, the icon): light on the wire, kept by the browser.

Every URL for a static file carries a version (a hash of the file), so a browser may keep the
file for a year and still gets the new one the moment it changes. The files are compressed,
being most of a page's weight on a first visit. Pages themselves are not compressed: they carry
secrets (CSRF tokens, receipt codes) beside text a visitor sent, which compression can leak to
someone watching the size of the replies (the BREACH attack).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request
from flask_compress import Compress

YEAR = 365 * 24 * 60 * 60
compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # only the static files, below
    compress.init_app(app)
    versions: dict[tuple, str] = {}

    def version(filename: str) -> str | None:
        path = Path(app.static_folder) / filename
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (filename, stat.st_mtime_ns, stat.st_size)
        if key not in versions:
            versions[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return versions[key]

    @app.url_defaults
    def _add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            found = version(str(values.get("filename", "")))
            if found:
                values["v"] = found

    @app.after_request
    def _static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        if request.args.get("v") and request.args["v"] == version(request.view_args["filename"]):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        # Read the (small) file into memory, so it is compressed whole, with its length known.
        response.direct_passthrough = False
        response.make_sequence()
        return compress.after_request(response)
