"""Reading the area boxes and naming partnerships: pure rules, no database."""

from __future__ import annotations

import pytest

from pb.errors import DomainError
from pb.services.partnerships import AreasInput, parse_areas, slugify


def test_blank_lines_spaces_and_repeats_are_tidied():
    found = parse_areas(AreasInput(
        wards="  Broken   Cross \n\n\nUpton\r\nbroken cross\nUPTON\n",
        estates="\n", villages="Rainow", postcode_districts=" sk10 ,SK11;sk10\n\n"))
    assert found == [("ward", "Broken Cross"), ("ward", "Upton"), ("village", "Rainow"),
                     ("postcode_district", "SK10"), ("postcode_district", "SK11")]


def test_nothing_typed_means_no_areas():
    assert parse_areas(AreasInput()) == []


@pytest.mark.parametrize("code", ["M1", "M60", "B33", "SK10", "CR2", "DN55", "W1A", "EC1A",
                                  "SW1W", "NW1W", "E1W"])
def test_real_outward_codes_are_accepted(code):
    assert parse_areas(AreasInput(postcode_districts=code.lower())) == [
        ("postcode_district", code)]


@pytest.mark.parametrize("bad", ["1", "SK", "SK1000", "S K10", "SKK1", "SK1-0", "SK10 1AB",
                                 "£10", "M1A1"])
def test_other_text_is_not_a_postcode_district(bad):
    with pytest.raises(DomainError) as error:
        parse_areas(AreasInput(postcode_districts=bad))
    assert error.value.field == "postcode_districts"


def test_an_area_under_two_kinds_is_refused_at_the_second_box():
    with pytest.raises(DomainError) as error:
        parse_areas(AreasInput(wards="Prestbury", villages="PRESTBURY"))
    assert error.value.field == "villages"


def test_an_over_long_name_is_refused_at_its_box():
    with pytest.raises(DomainError) as error:
        parse_areas(AreasInput(estates="x" * 201))
    assert error.value.field == "estates"


@pytest.mark.parametrize(("name", "slug"), [
    ("Macclesfield East Neighbourhood Partnership", "macclesfield-east-neighbourhood-partnership"),
    ("  Ysbyty Ŵy & Pentre'r Felin!  ", "ysbyty-wy-pentre-r-felin"),
    ("<script>", "script"),
    ("!!!", ""),
])
def test_slugs(name, slug):
    assert slugify(name) == slug
