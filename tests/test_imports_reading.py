"""Cell and file parsing of the imports: encodings, headers, dates, amounts, choices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from valuetracker.imports.reading import (
    Field,
    ImportStop,
    date_parser,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_map_options,
    parse_value_maps,
    read_table,
    resolve_columns,
)
from valuetracker.models import BUYING_ROLES

FIELDS = (Field("name", required=True), Field("owner_email"), Field("tier", "choice"))


def test_bom_is_removed_and_rows_keep_file_numbers() -> None:
    table = read_table(b"\xef\xbb\xbfName,Tier\nAcme,key\n\n,\nGlobex,standard\n")
    assert table.headers == ["Name", "Tier"]
    assert table.rows == [(2, ["Acme", "key"]), (5, ["Globex", "standard"])]


def test_latin1_file_names_first_bad_line() -> None:
    data = "name\nAcme\nCafé Müller\n".encode("latin-1")
    with pytest.raises(ImportStop, match="line 3"):
        read_table(data)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImportStop, match="empty"):
        read_table(b"")


def test_headers_match_case_and_space_insensitively() -> None:
    columns = resolve_columns([" NAME ", "Owner Email", "Colour"], FIELDS)
    assert columns.index == {"name": 0, "owner_email": 1}
    assert columns.unknown == ["Colour"]


def test_map_renames_and_ignores_columns() -> None:
    mapping = parse_map_options(["Company=name", "Owner Email=ignore"])
    columns = resolve_columns(["Company", "Owner Email"], FIELDS, mapping)
    assert columns.index == {"name": 0}
    assert columns.ignored == ["Owner Email"]


def test_missing_required_column_and_bad_map_are_reported_together() -> None:
    with pytest.raises(ImportStop) as info:
        resolve_columns(["Company"], FIELDS, parse_map_options(["Nope=name2"]))
    text = str(info.value)
    assert 'column "nope"' in text and '"name2" is not a field' in text
    assert 'Required column "name" is missing' in text


def test_two_columns_for_one_field_refused() -> None:
    with pytest.raises(ImportStop, match="both give name"):
        resolve_columns(["name", "Company"], FIELDS, {"Company": "name"})


@pytest.mark.parametrize("text, expected", [
    ("$1,234.50", Decimal("1234.50")),
    ("1 234,50", Decimal("1234.50")),
    ("1.234.567,5", Decimal("1234567.5")),
    ("EUR 99", Decimal("99")),
    ("12500", Decimal("12500")),
    ("$ 12,500", Decimal("12500")),
    # Parenthesised and negative amounts read right, and are refused: money is 0 or more.
    ("(1,000.00)", None),
    ("-€5,5", None),
    ("123456789012345678901234", None),
    ("99999999999999.99", None),
    ("10,000,000,000,000", Decimal("10000000000000")),
    ("0.125", None),
    ("1.234", None),
    ("12,34,5", None),
    ("abc", None),
    ("1,2345", None),
])
def test_amounts(text: str, expected: Decimal | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_amount(text)
    else:
        assert parse_amount(text) == expected


def test_booleans() -> None:
    assert [parse_bool(w) for w in ("Yes", "y", "TRUE", "1")] == [True] * 4
    assert [parse_bool(w) for w in ("no", "N", "false", "0")] == [False] * 4
    with pytest.raises(ValueError, match="not yes/no"):
        parse_bool("maybe")


def test_choices_accept_labels_and_value_maps() -> None:
    f = Field("buying_role", "choice", choices=BUYING_ROLES)
    assert parse_choice("Economic Buyer", f) == "economic_buyer"
    assert parse_choice("technical-evaluator", f) == "technical_evaluator"
    assert parse_choice("Sponsor", f, {"sponsor": "champion"}) == "champion"
    with pytest.raises(ValueError, match="not one of"):
        parse_choice("Boss", f)


def test_value_map_syntax() -> None:
    assert parse_value_maps(["outcome:Closed Signed=won"]) == {"outcome": {"closed_signed": "won"}}
    with pytest.raises(ImportStop):
        parse_value_maps(["outcome=won"])


def test_dates_per_column() -> None:
    us = date_parser("d", ["03/31/2026", "1/2/26", "2026-05-01"])
    assert us("03/31/2026") == date(2026, 3, 31) and us("1/2/26") == date(2026, 1, 2)
    assert us("2026-05-01") == date(2026, 5, 1)
    eu = date_parser("d", ["31/03/2026", "01/02/2026"])
    assert eu("01/02/2026") == date(2026, 2, 1)
    dotted = date_parser("d", ["01.02.2026"])
    assert dotted("01.02.2026") == date(2026, 2, 1)
    assert date_parser("d", ["3/4/2026 10:15 AM", "3/14/2026"])("3/4/2026 10:15 AM") == \
        date(2026, 3, 4)
    iso = date_parser("d", ["2026-03-04T10:00:00Z"])
    assert iso("2026-03-04T10:00:00Z") == date(2026, 3, 4) and iso("tomorrow") is None


def test_ambiguous_and_mixed_date_columns_ask_for_a_format() -> None:
    with pytest.raises(ImportStop, match='Column "Renewal".*--date-format') as info:
        date_parser("Renewal", ["03/04/2026", "05/06/2026"])
    assert info.value.needs_date_format
    with pytest.raises(ImportStop, match="mixes"):
        date_parser("Renewal", ["03/31/2026", "31/03/2026"])
    explicit = date_parser("Renewal", ["03/04/2026"], "%d/%m/%Y")
    assert explicit("03/04/2026") == date(2026, 4, 3)
    # Dates that read the same either way are not ambiguous.
    assert date_parser("d", ["05/05/2026"])("05/05/2026") == date(2026, 5, 5)
