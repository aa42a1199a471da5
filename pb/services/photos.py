"""Accepting a photo: check it is an image of a sensible size, then re-encode it.

Only our own re-encoding is stored and served, so nothing hostile in the uploaded file
(scripts posing as images, polyglots, EXIF with a home's GPS position) reaches anyone.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DomainError
from ..extensions import db
from ..models import Photo, User

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def store_upload(upload, field: str = "photo", alt: str = "",
                 user: User | None = None) -> Photo | None:
    """Return a stored, re-encoded Photo for an uploaded file, or None when none was given.

    Raises DomainError on `field` when the file is too big, not an image, or an unknown kind.
    """
    if upload is None or not getattr(upload, "filename", ""):
        return None
    raw = upload.read(MAX_BYTES + 1)
    if not raw:
        return None
    if len(raw) > MAX_BYTES:
        raise DomainError(str(_l("The photo must be 5 MB or smaller.")), field=field)
    data, width, height = reencode(raw, field)
    photo = Photo(sha256=hashlib.sha256(data).hexdigest(), width=width, height=height, data=data,
                  alt=alt.strip()[:300], uploaded_by_id=user.id if user else None)
    db.session.add(photo)
    db.session.flush()
    return photo


def reencode(raw: bytes, field: str = "photo") -> tuple[bytes, int, int]:
    """Decode an image and encode it afresh as a JPEG of at most MAX_SIDE pixels a side."""
    not_an_image = DomainError(
        str(_l("The file must be a photo in JPEG, PNG, WebP or GIF format.")), field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError(str(_l("The photo is too large: use one under 40 megapixels.")),
                                      field=field)
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.seek(0)
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=82, optimize=True)
                return out.getvalue(), image.width, image.height
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise not_an_image from error
