import pytest

from pb.money import MoneyError, format_money, parse_money, to_input


@pytest.mark.parametrize(
    ("text", "pence"),
    [("1625", 162500), ("1,625", 162500), ("£1,625.50", 162550), (" 1625.5 ", 162550),
     ("0.01", 1), ("100000", 10_000_000), ("£ 3,608", 360800), (".5", 50)],
    ids=["plain", "comma", "pound-sign", "one-decimal", "a-penny", "pot", "space", "leading-point"],
)
def test_parse_money(text, pence):
    assert parse_money(text) == pence


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "-5", "0", "0.00", "1.234", "1,62,5", "1e5", "12 34", "£", "NaN",
             "99999999999999999"],
)
def test_parse_money_refuses(text):
    with pytest.raises(MoneyError):
        parse_money(text)


@pytest.mark.parametrize(
    ("pence", "shown"),
    [(162500, "£1,625"), (162550, "£1,625.50"), (1, "£0.01"), (10_000_000, "£100,000")],
)
def test_format_money(pence, shown):
    assert format_money(pence) == shown


def test_round_trip_to_the_form():
    for pence in (1, 50, 162500, 162550):
        assert parse_money(to_input(pence)) == pence
