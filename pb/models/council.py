"""Councils, the neighbourhood partnerships within them, and the areas each covers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

AREA_KINDS = ("ward", "estate", "village", "postcode_district", "town")


class Council(db.Model):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)

    partnerships: Mapped[list[Partnership]] = relationship(
        back_populates="council", order_by="Partnership.name"
    )


class Partnership(db.Model):
    __tablename__ = "partnerships"
    __table_args__ = (UniqueConstraint("council_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))

    council: Mapped[Council] = relationship(back_populates="partnerships")
    areas: Mapped[list[Area]] = relationship(
        back_populates="partnership", order_by="Area.name", cascade="all, delete-orphan"
    )


class Area(db.Model):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default="ward")

    partnership: Mapped[Partnership] = relationship(back_populates="areas")
