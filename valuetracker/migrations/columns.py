"""Frozen builders of the columns, foreign keys and indexes that revisions create.

A revision writes a table's columns as one spec, `columns('id:int name:str200
segment:str80? created_at:utc')`: each word is `name:type`, and a trailing `?` makes the
column nullable. Its foreign keys are `foreign_keys('account_id>account',
'guide_id>interview_guide CASCADE')` (`>table` means `table.id`; what follows a space
is the ON DELETE rule), its indexes `create_indexes('deal', 'account_id',
'ix_deal_closed_analytics=outcome closed_on')` (a bare column is the conventional
`ix_<table>_<column>`; a trailing `!` makes the index unique).

The rule: this module is frozen. A revision that has shipped has run on databases as
it was, so what a builder, a type word or a spec rule produces must never change once
a revision uses it, not even its rendering (tests/test_migrations_frozen.py compares the
SQL of every revision with a checked-in snapshot). Append only: for a new shape, add a new
type word or a new builder, and leave the existing ones alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

import valuetracker.models.base


def _text(length: int) -> Any:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _varchar(length: int) -> Any:
    return sa.String(length=length)


# Type words (append only). `strN`: the models' strings of N characters; `varN`: a plain
# VARCHAR(N) as later revisions wrote it.
TYPES: dict[str, Callable[[], Any]] = {
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "bool": sa.Boolean,
    "text": sa.Text,
    "json": sa.JSON,
    "date": sa.Date,
    "utc": lambda: valuetracker.models.base.UTCDateTime(timezone=True),
    "num": lambda: sa.Numeric(precision=16, scale=2),
    "num18": lambda: sa.Numeric(precision=18, scale=2),
    "money": lambda: valuetracker.models.base.MONEY,
}
SIZED: dict[str, Callable[[int], Any]] = {"str": _text, "var": _varchar}


def column_type(word: str) -> Any:
    """The SQL type a type word names (`int`, `utc`, `str200`, `var32`, ...)."""
    if word in TYPES:
        return TYPES[word]()
    for prefix, make in SIZED.items():
        if word.startswith(prefix) and word[len(prefix):].isdigit():
            return make(int(word[len(prefix):]))
    raise ValueError(f"unknown column type word: {word!r}")


def columns(spec: str) -> list[sa.Column[Any]]:
    """The columns of a spec: `name:type` words, `?` at the end for a nullable one."""
    built = []
    for word in spec.split():
        name, _, kind = word.partition(":")
        nullable = kind.endswith("?")
        built.append(sa.Column(name, column_type(kind.rstrip("?")), nullable=nullable))
    return built


def foreign_keys(*specs: str) -> list[sa.ForeignKeyConstraint]:
    """One constraint per `column>table[.column][ ON DELETE rule]`."""
    built = []
    for spec in specs:
        target, _, ondelete = spec.partition(" ")
        local, _, remote = target.partition(">")
        if "." not in remote:
            remote += ".id"
        built.append(sa.ForeignKeyConstraint([local], [remote], ondelete=ondelete or None))
    return built


def create_indexes(table: str, *specs: str) -> None:
    """Create the indexes of `table`: `column`, `name=column column ...`, `!` = unique."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for spec in specs:
            unique = spec.endswith("!")
            name, _, cols = spec.rstrip("!").rpartition("=")
            names = cols.split()
            if name:
                batch_op.create_index(name, names, unique=unique)
            else:
                batch_op.create_index(batch_op.f(f"ix_{table}_{'_'.join(names)}"), names,
                                      unique=unique)


def drop_indexes(table: str, *names: str) -> None:
    """Drop indexes of `table` by name, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_index(name)


def drop_table(table: str, *indexes: str) -> None:
    """Drop the named indexes of `table` (in that order), then the table."""
    if indexes:
        drop_indexes(table, *indexes)
    op.drop_table(table)
