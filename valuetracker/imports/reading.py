"""Reading CSV exports: decoding, header mapping, and the cell parsers (dates, money,
booleans, choices) shared by every kind of import.

Nothing here touches the database; the kind modules and the runner build on it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..validation import check_date, check_money

IGNORE = "ignore"


class ImportStop(Exception):
    """A problem with the file as a whole (encoding, columns, date format, unknown words).

    Nothing is written. `problems` lists every such problem found; `needs_date_format`
    tells the web wizard to offer the date format field.
    """

    def __init__(self, problems: Sequence[str] | str, *, needs_date_format: bool = False):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.needs_date_format = needs_date_format
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Field:
    """One importable field of a kind: its type, whether required, its choices."""

    name: str
    kind: str = "text"  # text, email, int, money, date, bool, flagdate, choice, list
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    # Extra words accepted for a choice (normalised word -> value), e.g. CRM stages.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Unknown words stop the whole import (listed, with how to map them) instead of
    # being row errors: a CRM's vocabulary is a file-level question (deal outcomes).
    stop_on_unknown: bool = False
    # Free text that may hold line breaks (a description); any other text is one line,
    # as in the forms, so it can never split a mail header.
    multiline: bool = False


@dataclass
class RowError:
    """One invalid cell or row: row number as in the file (header = row 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Table:
    """A decoded CSV file: its header and its data rows with their row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


# --- reading -------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 text (BOM removed), or ImportStop naming the first line that is not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportStop(
            f"The file is not UTF-8 text (first bad byte on line {line}). "
            "Save or export it as CSV UTF-8 and try again."
        ) from exc


def read_table(data: bytes) -> Table:
    """Parse CSV bytes into a Table; blank lines are skipped but keep row numbers right."""
    text = decode(data)
    if "\x00" in text:  # PostgreSQL refuses NUL in text; no cell has a use for it
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportStop(f"The file holds a NUL character on line {line}; "
                         "it is not a CSV text file, or that line is damaged.")
    # strict: an unterminated quote is an error, not one cell holding the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    start = 1  # the line the record being read begins on
    try:
        for record in reader:
            records.append(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ImportStop(
                f"The file is not valid CSV: the quote opened in the record starting on "
                f"line {start} is never closed. Check that line's quotes (\"\" inside a "
                "quoted cell) and try again.") from exc
        raise ImportStop(f"The file is not valid CSV on line {reader.line_num}: {exc}.") from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportStop("The file is empty or has no header row.")
    headers = [cell.strip() for cell in records[0]]
    rows: list[tuple[int, list[str]]] = []
    width = len(headers)
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cells = [cell.strip() for cell in cells[:width]]
        cells += [""] * (width - len(cells))
        rows.append((number, cells))
    return Table(headers, rows)


def norm_name(name: str) -> str:
    """Header and field names compared case- and space-insensitively ("Owner Email")."""
    return re.sub(r"[\s\-_]+", "_", name.strip().casefold()).strip("_")


def norm_word(word: str) -> str:
    """Choice words compared the same way ("Closed - Won" -> "closed_won")."""
    return re.sub(r"[\s\-_/]+", "_", word.strip().casefold()).strip("_")


# --- options -------------------------------------------------------------------------

def parse_map_options(items: Iterable[str]) -> dict[str, str]:
    """`--map SRC=FIELD` options -> {normalised source column: field}."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise ImportStop(f'--map "{item}" should look like "Source Column=field".')
        mapping[norm_name(source)] = norm_name(target)
    return mapping


def parse_value_maps(items: Iterable[str]) -> dict[str, dict[str, str]]:
    """`--value-map FIELD:WORD=VALUE` options -> {field: {normalised word: value}}."""
    maps: dict[str, dict[str, str]] = {}
    for item in items:
        head, sep, value = item.rpartition("=")
        fname, colon, word = head.partition(":")
        if not sep or not colon or not fname.strip() or not word.strip() or not value.strip():
            raise ImportStop(
                f'--value-map "{item}" should look like "field:WORD=value", '
                'e.g. "outcome:Signed=won".'
            )
        maps.setdefault(norm_name(fname), {})[norm_word(word)] = norm_word(value)
    return maps


@dataclass
class Columns:
    """Which file column feeds which field, and the columns nobody uses."""

    index: dict[str, int]  # field name -> column index
    unknown: list[str]  # file columns ignored because they match no field
    ignored: list[str]  # file columns the user chose to ignore

    def header(self, headers: Sequence[str], fname: str) -> str:
        return headers[self.index[fname]] if fname in self.index else fname


def resolve_columns(
    headers: Sequence[str], fields: Sequence[Field], mapping: Mapping[str, str] | None = None
) -> Columns:
    """Match file columns to fields: explicit mapping first, then by name.

    Raises ImportStop for a mapping that names a missing column or field, two columns
    feeding one field, and required fields without a column.
    """
    mapping = {norm_name(k): norm_name(v) for k, v in (mapping or {}).items()}
    names = {f.name for f in fields}
    problems: list[str] = []
    normalised = [norm_name(h) for h in headers]
    for source, target in mapping.items():
        if source not in normalised:
            problems.append(f'--map names column "{source}", which is not in the file.')
        if target != IGNORE and target not in names:
            problems.append(
                f'--map target "{target}" is not a field (fields: {", ".join(sorted(names))}).'
            )
    index: dict[str, int] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for i, (header, norm) in enumerate(zip(headers, normalised, strict=True)):
        target = mapping.get(norm, norm)
        if target == IGNORE or not norm:
            if norm:
                ignored.append(header)
            continue
        if target not in names:
            unknown.append(header)
            continue
        if target in index:
            problems.append(
                f'Columns "{headers[index[target]]}" and "{header}" both give {target}; '
                "map one of them to another field or to ignore."
            )
            continue
        index[target] = i
    for f in fields:
        if f.required and f.name not in index:
            problems.append(
                f'Required column "{f.name}" is missing; rename a column or use '
                f"--map SOURCE={f.name}."
            )
    if problems:
        raise ImportStop(problems)
    return Columns(index, unknown, ignored)


# --- dates ---------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?$")
DATE_FORMAT_HINT = '--date-format "%m/%d/%Y" (US) or --date-format "%d/%m/%Y" (EU)'


def _iso(value: str) -> date | None:
    match = _ISO.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _strip_time(value: str) -> str:
    """ "3/4/2026 10:15 AM" -> "3/4/2026" (CRM exports often carry a time)."""
    head, _, tail = value.partition(" ")
    return head if tail and _TIME.match(tail.strip()) else value


_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})$")
# Separators of each family: US writes 03/31/2026 or 03-31-2026; EU also 31.03.2026.
_SEPARATORS = {"us": "/-", "eu": "/.-"}


def _fits(value: str, family: str) -> date | None:
    """The date `value` means when read month-first ("us") or day-first ("eu").

    Hand-parsed rather than strptime: a 10,000-row file would otherwise spend most of
    its import time in strptime trying formats that do not fit.
    """
    match = _NUMERIC.match(_strip_time(value))
    if not match or match[2] not in _SEPARATORS[family]:
        return None
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    if len(match[4]) == 2:
        year += 2000 if year < 69 else 1900  # strptime's %y convention
    month, day = (first, second) if family == "us" else (second, first)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _strptime(value: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(_strip_time(value), fmt).date()
    except ValueError:
        return None


DateParser = Callable[[str], "date | None"]


def date_parser(column: str, values: Iterable[str], explicit: str | None = None) -> DateParser:
    """The parser for one date column, chosen from all its values.

    ISO dates are always accepted. The other values decide between US and EU forms:
    if they all fit one form only, that form is used; if they fit both differently
    (03/04/2026) or the column mixes forms, ImportStop asks for --date-format.
    Values fitting no form are left for the row validation to report.
    """
    if explicit:
        return _cached(lambda v: _iso(v) or _strptime(v, explicit))
    us_only = eu_only = 0
    example = ""
    for value in values:
        if _iso(value):
            continue
        us, eu = _fits(value, "us"), _fits(value, "eu")
        if us and eu:
            if us != eu and not example:
                example = value
        elif us:
            us_only += 1
        elif eu:
            eu_only += 1
    if us_only and eu_only:
        raise ImportStop(
            f'Column "{column}" mixes US (month first) and EU (day first) dates; '
            f"make them consistent, or say which form with {DATE_FORMAT_HINT}.",
            needs_date_format=True,
        )
    if us_only:
        return _cached(lambda v: _iso(v) or _fits(v, "us"))
    if eu_only:
        return _cached(lambda v: _iso(v) or _fits(v, "eu"))
    if example:
        raise ImportStop(
            f'Column "{column}" has dates that fit both month-first and day-first forms '
            f'(e.g. "{example}"); say which with {DATE_FORMAT_HINT}.',
            needs_date_format=True,
        )
    # Only ISO dates, or dates that read the same either way (05/05/2026).
    return _cached(lambda v: _iso(v) or _fits(v, "us"))


def _cached(parse: DateParser) -> DateParser:
    """Exports repeat the same dates many times; parse each distinct text once.

    A date outside the years the forms accept (`validation.check_date`) is a ValueError
    (a row error), the same rule as the forms'."""
    seen: dict[str, date | None] = {}

    def cached(value: str) -> date | None:
        if value not in seen:
            seen[value] = parse(value)
        parsed = seen[value]
        if parsed is not None:
            try:
                check_date(parsed)
            except ValueError as exc:
                raise ValueError(f'"{value}" is refused: {exc}') from None
        return parsed

    return cached


# --- cells ---------------------------------------------------------------------------

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
_CURRENCY = re.compile(r"^(?:US\$|[A-Z]{3}|[$€£¥₹])|(?:US\$|[A-Z]{3}|[$€£¥₹])$")


def parse_bool(text: str) -> bool:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f'"{text}" is not yes/no (use yes, no, true, false, 1, 0, y or n)')


def parse_amount(text: str) -> Decimal:
    """ "$1,234.50", "1 234,50", "(1,000)", "EUR 99" -> Decimal; ambiguous forms refused.

    A single separator followed by exactly three digits is ambiguous ("1.234" might be
    one thousand two hundred thirty-four) unless it is a comma in a well-formed
    thousands group ("1,234", the usual CRM export form).
    """
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    s = _CURRENCY.sub("", s).strip()
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    s = re.sub(r"[\s\u00a0\u202f']", "", s)
    if not s or not re.fullmatch(r"[\d.,]+", s) or not s[0].isdigit():
        raise ValueError(f'"{text}" is not an amount')
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        thou = "." if dec == "," else ","
        whole, _, frac = s.rpartition(dec)
        grouped = re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thou)}\d{{3}})*", whole)
        if not grouped or not frac.isdigit():
            raise ValueError(f'"{text}" is not an amount')
        number = whole.replace(thou, "") + "." + frac
    elif "," in s:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
            number = s.replace(",", "")
        elif re.fullmatch(r"\d+,\d{1,2}", s):
            number = s.replace(",", ".")
        else:
            raise ValueError(f'"{text}" is an ambiguous or malformed amount')
    elif "." in s:
        if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", s):
            number = s.replace(".", "")
        elif re.fullmatch(r"\d+\.\d{1,2}", s) or re.fullmatch(r"0\.\d+", s):
            number = s
        else:
            raise ValueError(
                f'"{text}" is ambiguous (thousands separator or decimal point?); '
                'write it as 1234 or 1234.00'
            )
    else:
        number = s
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(f'"{text}" is not an amount') from exc
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f'"{text}" has more than two decimal places')
    try:  # the forms' limits (0 or more, fits Numeric(16, 2)): one definition for both
        return check_money(-amount if negative else amount)
    except ValueError as exc:
        raise ValueError(f'"{text}" is refused: {exc}') from None


def parse_choice(text: str, f: Field, value_map: Mapping[str, str] | None = None) -> str:
    """A choice by value or label, case-insensitively ("Economic Buyer" -> economic_buyer)."""
    word = norm_word(text)
    if value_map and word in value_map:
        word = value_map[word]
    if word in f.choices:
        return word
    if word in f.aliases:
        return f.aliases[word]
    raise ValueError(f'"{text}" is not one of: {", ".join(f.choices)}')


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]
