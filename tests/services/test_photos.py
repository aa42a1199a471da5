"""Photos are checked and re-encoded; only our own JPEG is stored and served."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from pb.errors import DomainError
from pb.services import photos


def _image_bytes(fmt="PNG", size=(40, 30), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _upload(data: bytes, name="photo.png") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_png_is_reencoded_as_jpeg(app):
    photo = photos.store_upload(_upload(_image_bytes("PNG")))
    assert photo.data[:3] == b"\xff\xd8\xff"  # JPEG
    assert (photo.width, photo.height) == (40, 30)


def test_large_photo_is_scaled_down(app):
    photo = photos.store_upload(_upload(_image_bytes("JPEG", size=(3200, 1000))))
    assert (photo.width, photo.height) == (1600, 500)


def test_exif_location_is_not_kept(app):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    photo = photos.store_upload(_upload(_image_bytes("JPEG", exif=exif.tobytes())))
    assert b"SecretCameraMaker" not in photo.data


def test_script_disguised_as_image_is_refused(app):
    hostile = b"GIF89a<script>alert(1)</script>"
    with pytest.raises(DomainError) as caught:
        photos.store_upload(_upload(hostile, "photo.gif"))
    assert caught.value.field == "photo"


@pytest.mark.parametrize("data", [b"%PDF-1.4 not an image", b"\x00" * 100, b"<svg onload=alert(1)>"],
                         ids=["pdf", "zeros", "svg"])
def test_non_images_are_refused(app, data):
    with pytest.raises(DomainError, match="JPEG, PNG, WebP or GIF"):
        photos.store_upload(_upload(data, "x.jpg"))


def test_oversized_file_is_refused(app):
    with pytest.raises(DomainError, match="5 MB"):
        photos.store_upload(_upload(b"\xff\xd8\xff" + b"0" * photos.MAX_BYTES, "big.jpg"))


def test_no_file_is_no_photo(app):
    assert photos.store_upload(None) is None
    assert photos.store_upload(FileStorage(stream=io.BytesIO(b""), filename="")) is None


def test_photo_is_served_as_jpeg(app, client):
    from pb.extensions import db

    photo = photos.store_upload(_upload(_image_bytes("PNG")))
    db.session.commit()
    response = client.get(f"/photos/{photo.id}.jpg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == photo.data
    assert client.get("/photos/999999.jpg").status_code == 404
