"""Search: one box for accounts, stakeholders, deals, value entries, commitments, quotes
and interviews, on the database's own full-text search.

The index holds the searchable text of every row (`SOURCES`): an FTS5 table
(`search_index`) on SQLite, a table with a generated `tsvector` and a GIN index
(`search_document`) on PostgreSQL. Database triggers on the source tables keep it
current in the same transaction as every write, whichever path made it (a form, an
import's bulk INSERT, a link, the CLI); `rebuild_index` fills it anew (`valuetracker
search rebuild`, and after a restore or a bulk load that bypassed the triggers).

The index holds text only. Who may see a result, and what it is called, is read from
the source rows when searching, with the same scope rules as every list
(`access.account_scope`, `deal_scope`, the program's readers for quotes and
interviews), so a result never outlives its row's rights.

On PostgreSQL one statement answers a search: the words are matched once, and each
kind's count and best rows come from that one match. On SQLite each kind takes a count
and a page of results (FTS5's ranking and highlighting need the query that matches).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlmodel import Session

from .access import account_scope, deal_scope, reads_winloss_program
from .models import (
    Account,
    Deal,
    InterviewQuote,
    Stakeholder,
    User,
    ValueCommitment,
    ValueEntry,
    WinLossInterview,
    metadata,
)

# At most this many words of a query are used, and this many results shown per kind.
MAX_WORDS = 8
PER_KIND = 10
# Highlight markers: control characters that no indexed text holds, turned into <mark>.
_OPEN, _CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class Source:
    """One kind of row in the index: its code (part of the index's row id), table, the
    SQL of its title and body (over the row, `{row}.column`), and when it is indexed."""

    code: int
    kind: str
    label: str
    table: str
    columns: tuple[str, ...]  # the columns whose change re-indexes the row
    title: str
    body: str
    when: str = "1 = 1"


def _text(*columns: str) -> str:
    return " || ' ' || ".join(f"coalesce({{row}}.{c}, '')" for c in columns)


SOURCES: tuple[Source, ...] = (
    Source(1, "account", "Accounts", "account", ("name", "industry", "segment", "external_id"),
           "{row}.name", _text("industry", "segment", "external_id")),
    Source(2, "stakeholder", "Stakeholders", "stakeholder", ("name", "title", "email",
                                                             "erased_at"),
           "{row}.name", _text("title", "email"), "{row}.erased_at IS NULL"),
    Source(3, "deal", "Deals", "deal", ("name", "product", "external_id"),
           "{row}.name", _text("product", "external_id")),
    Source(4, "value_entry", "Value entries", "value_entry", ("title", "description",
                                                              "source"),
           "{row}.title", _text("description", "source")),
    Source(5, "commitment", "Commitments", "value_commitment", ("title",),
           "{row}.title", "''"),
    Source(6, "quote", "Quotes", "interview_quote", ("text", "tags"),
           "{row}.text", _text("tags")),
    Source(7, "interview", "Interviews", "winloss_interview", ("notes",),
           "''", _text("notes")),
)
BY_KIND = {source.kind: source for source in SOURCES}
_BY_CODE = {source.code: source for source in SOURCES}
_SLOTS = 8  # row id in the index = source row id * _SLOTS + code


# -- keeping the index ---------------------------------------------------------------------


def install_index(conn: sa.Connection) -> None:
    """Create the index and the triggers of every source (dropping older ones), then fill
    it. Run by the migration that introduced it; a change to `SOURCES` needs a new
    migration that calls this again."""
    if conn.dialect.name == "postgresql":
        _install_postgresql(conn)
    else:
        _install_sqlite(conn)
    rebuild_index(conn)


def _install_sqlite(conn: sa.Connection) -> None:
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
        "kind, title, body, tokenize = 'unicode61 remove_diacritics 2')")
    for s in SOURCES:
        for op in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS search_{s.kind}_{op}")
        row_id = f"{{row}}.id * {_SLOTS} + {s.code}"
        insert = (f"INSERT INTO search_index (rowid, kind, title, body) "
                  f"SELECT {row_id}, 'k{s.code}', {s.title}, {s.body} WHERE {s.when};")
        delete = f"DELETE FROM search_index WHERE rowid = {row_id};"
        conn.exec_driver_sql(
            f"CREATE TRIGGER search_{s.kind}_insert AFTER INSERT ON {s.table} BEGIN "
            + insert.format(row="new") + " END")
        conn.exec_driver_sql(
            f"CREATE TRIGGER search_{s.kind}_update AFTER UPDATE OF {', '.join(s.columns)} "
            f"ON {s.table} BEGIN " + delete.format(row="old") + " "
            + insert.format(row="new") + " END")
        conn.exec_driver_sql(
            f"CREATE TRIGGER search_{s.kind}_delete AFTER DELETE ON {s.table} BEGIN "
            + delete.format(row="old") + " END")


def _install_postgresql(conn: sa.Connection) -> None:
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS search_document ("
        "kind smallint NOT NULL, ref_id integer NOT NULL, title text NOT NULL, "
        "body text NOT NULL, tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', title), 'A') || "
        "setweight(to_tsvector('simple', body), 'B')) STORED, "
        "PRIMARY KEY (kind, ref_id))")
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS search_document_tsv ON search_document USING GIN (tsv)")
    for s in SOURCES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS search_{s.kind} ON {s.table}")
        conn.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION search_{s.kind}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN DELETE FROM search_document "
            f"WHERE kind = {s.code} AND ref_id = OLD.id; END IF; "
            f"IF TG_OP <> 'DELETE' AND {s.when.format(row='NEW')} THEN "
            f"INSERT INTO search_document (kind, ref_id, title, body) VALUES "
            f"({s.code}, NEW.id, {s.title.format(row='NEW')}, {s.body.format(row='NEW')}); "
            f"END IF; RETURN NULL; END $$ LANGUAGE plpgsql")
        conn.exec_driver_sql(
            f"CREATE TRIGGER search_{s.kind} AFTER INSERT OR DELETE OR UPDATE OF "
            f"{', '.join(s.columns)} ON {s.table} FOR EACH ROW "
            f"EXECUTE FUNCTION search_{s.kind}()")


def not_index_table(obj: Any, name: str | None, type_: str, reflected: bool,
                    compare_to: Any) -> bool:
    """Alembic's `include_object`: the index's tables (and FTS5's shadow tables) are kept
    by `install_index`, not by the models, so comparing the schema with the models
    leaves them out; so are the indexes one database builds and the other does not
    (declared with `info={"dialect": …}`), which Alembic cannot compare on either."""
    if type_ == "index":
        return name not in _dialect_only_indexes()
    return not (type_ == "table" and name is not None
                and (name == "search_document" or name.startswith("search_index")))


def _dialect_only_indexes() -> set[str]:
    return {str(index.name) for table in metadata.tables.values() for index in table.indexes
            if "dialect" in index.info}


def clear_index(conn: sa.Connection) -> None:
    """Empty the index (a TRUNCATE of the source tables fires no row trigger)."""
    table = "search_document" if conn.dialect.name == "postgresql" else "search_index"
    conn.exec_driver_sql(f"DELETE FROM {table}")


def rebuild_index(conn: sa.Connection | Session) -> int:
    """Fill the index anew from every source row, in one INSERT … SELECT per kind.
    Returns how many rows it holds. Does not commit."""
    bind = conn.connection() if isinstance(conn, Session) else conn
    clear_index(bind)
    postgres = bind.dialect.name == "postgresql"
    for s in SOURCES:
        title, body, when = (part.format(row="r") for part in (s.title, s.body, s.when))
        if postgres:
            bind.exec_driver_sql(
                f"INSERT INTO search_document (kind, ref_id, title, body) "
                f"SELECT {s.code}, r.id, {title}, {body} FROM {s.table} r WHERE {when}")
        else:
            bind.exec_driver_sql(
                f"INSERT INTO search_index (rowid, kind, title, body) "
                f"SELECT r.id * {_SLOTS} + {s.code}, 'k{s.code}', {title}, {body} "
                f"FROM {s.table} r WHERE {when}")
    table = "search_document" if postgres else "search_index"
    return int(bind.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


# -- searching ----------------------------------------------------------------------------


def query_words(text: str) -> list[str]:
    """The words of a query (letters and digits), lower-case, at most MAX_WORDS."""
    return [w.lower() for w in re.findall(r"\w+", text or "")][:MAX_WORDS]


@dataclass
class Hit:
    """One result: what it is called (highlighted), where it belongs, a highlighted
    snippet, and the page it opens."""

    kind: str
    id: int
    title: Markup
    snippet: Markup
    context: str
    endpoint: str
    values: dict[str, Any]


@dataclass
class Group:
    kind: str
    label: str
    total: int
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Results:
    query: str
    words: list[str]
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


def highlighted(text: str | None) -> Markup:
    """Text with the index's highlight markers, escaped, the matches in <mark>."""
    safe = str(escape(text or ""))
    return Markup(safe.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def search(session: Session, user: User, text: str, *, kinds: tuple[str, ...] | None = None,
           per_kind: int = PER_KIND) -> Results:
    """What `text` finds among the rows `user` may see, grouped by kind (in `SOURCES`
    order, kinds without results left out), each group ranked best first, with its
    total. Every word must match, as a prefix ("gra" finds Grace)."""
    words = query_words(text)
    if not words:
        return Results(text, words, [])
    wanted = [(source, _SHAPES[source.kind], condition) for source in SOURCES
              if not (kinds and source.kind not in kinds)
              and (condition := _SHAPES[source.kind].scope(user)) is not None]
    if not wanted:
        return Results(text, words, [])
    if session.get_bind().dialect.name == "postgresql":
        return Results(text, words, _postgres_groups(session, wanted, words, per_kind))
    return Results(text, words, _sqlite_groups(session, wanted, words, per_kind))


_Wanted = list[tuple[Source, "_Shape", Any]]  # each kind searched: its shape and scope


def _rows(shape: _Shape, match: _Match, condition: Any, *columns: Any) -> Any:
    """The SELECT of `columns` over a kind's matches the user may see (its row joined)."""
    query = (sa.select(*columns).select_from(match.table)
             .join(shape.table, shape.table.c.id == match.ref_id))
    for target, on in shape.joins_on:
        query = query.join(target, on, isouter=True)
    return query.where(match.condition, condition)


def _sqlite_groups(session: Session, wanted: _Wanted, words: list[str],
                   per_kind: int) -> list[Group]:
    # FTS5's ranking and highlighting work only in the query that holds the MATCH: one
    # count and one page of results per kind.
    groups: list[Group] = []
    for source, shape, condition in wanted:
        match = _sqlite_match(source, words)
        total = session.execute(_rows(shape, match, condition, sa.func.count())).scalar_one()
        if not total:
            continue
        found = session.execute(
            _rows(shape, match, condition, shape.table.c.id, match.title, match.snippet,
                  *shape.columns)
            .order_by(match.rank, shape.table.c.id.desc()).limit(per_kind)).all()
        groups.append(Group(source.kind, source.label, int(total),
                            [shape.hit(row) for row in found]))
    return groups


def _postgres_groups(session: Session, wanted: _Wanted, words: list[str],
                     per_kind: int) -> list[Group]:
    """Every kind in one statement: the words are matched once (one GIN index scan,
    kept in a CTE), and each kind's branch counts its rows the user may see (a window
    over them) and keeps its best `per_kind`; only those are highlighted."""
    tsquery = sa.func.to_tsquery("simple", " & ".join(f"{w}:*" for w in words))
    document = sa.table("search_document", sa.column("kind"), sa.column("ref_id"),
                        sa.column("title"), sa.column("body"), sa.column("tsv"))
    # What the words match, ranked: small rows (kind, id, rank), not the documents' text.
    matched = (sa.select(document.c.kind, document.c.ref_id,
                         sa.func.ts_rank(document.c.tsv, tsquery).label("rank"))
               .where(document.c.tsv.op("@@")(tsquery),
                      document.c.kind.in_([source.code for source, _, _ in wanted]))
               .cte("matched").prefix_with("MATERIALIZED"))
    branches = []
    for source, shape, condition in wanted:
        # The scope reads the kind's own row only; the text to highlight and the tables
        # the results show (the account's name, the deal's) are read for the best rows
        # alone, after the limit.
        best = (sa.select(shape.table.c.id.label("id"), matched.c.rank,
                          sa.func.count().over().label("total"))
                .select_from(matched).join(shape.table, shape.table.c.id == matched.c.ref_id)
                .where(matched.c.kind == source.code, condition)
                .order_by(matched.c.rank.desc(), shape.table.c.id.desc()).limit(per_kind)
                .subquery(f"best_{source.kind}"))
        shown = (best.join(document, sa.and_(document.c.kind == source.code,
                                              document.c.ref_id == best.c.id))
                 .join(shape.table, shape.table.c.id == best.c.id))
        for target, on in shape.joins_on:
            shown = shown.outerjoin(target, on)
        own = {column.key: column for column in shape.columns}
        branches.append(sa.select(
            sa.literal_column(str(source.code)).label("code"), best.c.id, best.c.total,
            best.c.rank,
            sa.func.ts_headline("simple", document.c.title, tsquery,
                                _HEADLINE_TITLE).label("title"),
            sa.func.ts_headline("simple", document.c.body, tsquery,
                                _HEADLINE_SNIPPET).label("snippet"),
            *(own[name].label(name) if name in own else sa.cast(sa.null(), type_).label(name)
              for name, type_ in _EXTRA_COLUMNS.items())).select_from(shown))
    found = session.execute(sa.union_all(*branches).order_by(
        sa.literal_column("code"), sa.literal_column("rank").desc(),
        sa.literal_column("id").desc())).all()
    groups: dict[int, Group] = {}
    for row in found:
        source = _BY_CODE[row.code]
        group = groups.setdefault(row.code, Group(source.kind, source.label, int(row.total)))
        group.hits.append(_SHAPES[source.kind].hit(row))
    return list(groups.values())


@dataclass
class _Match:
    table: Any
    ref_id: Any
    condition: Any
    rank: Any
    title: Any
    snippet: Any


def _sqlite_match(source: Source, words: list[str]) -> _Match:
    index = sa.table("search_index", sa.column("rowid"), sa.column("kind"),
                     sa.column("title"), sa.column("body"))
    terms = " AND ".join(f'"{w}"*' for w in words)
    # The kind is picked by the row id (id * _SLOTS + code), not by matching the `kind`
    # column: its term ("k4") is in every row of the kind, and the MATCH would walk that
    # whole list (every value entry) for each search; the id test reads only the rows
    # the words match. The words are kept to the title and body only when one could
    # match a kind's term ("k", "k4"): that column filter makes ranking prefixes slower.
    if any(f"k{s.code}".startswith(w) for s in SOURCES for w in words):
        terms = f"{{title body}} : ({terms})"
    return _Match(
        table=index,
        ref_id=sa.literal_column(f"search_index.rowid / {_SLOTS}"),
        condition=sa.and_(
            sa.text("search_index MATCH :match").bindparams(match=terms),
            sa.literal_column(f"search_index.rowid % {_SLOTS}") == source.code),
        # bm25: lower is better; a title match weighs ten times a body match.
        rank=sa.literal_column("bm25(search_index, 0.0, 10.0, 1.0)"),
        title=sa.literal_column("highlight(search_index, 1, char(2), char(3))").label("title"),
        snippet=sa.literal_column(
            "snippet(search_index, 2, char(2), char(3), '…', 12)").label("snippet"),
    )


_HEADLINE_TITLE = f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true"
_HEADLINE_SNIPPET = f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=24, MinWords=8"


# -- what each kind shows, and who sees it ------------------------------------------------


@dataclass
class _Shape:
    table: Any
    scope: Callable[[User], Any]
    columns: tuple[Any, ...]
    hit: Callable[[Any], Hit]
    joins_on: tuple[tuple[Any, Any], ...] = ()


_account = Account.__table__  # type: ignore[attr-defined]
_stakeholder = Stakeholder.__table__  # type: ignore[attr-defined]
_deal = Deal.__table__  # type: ignore[attr-defined]
_entry = ValueEntry.__table__  # type: ignore[attr-defined]
_commitment = ValueCommitment.__table__  # type: ignore[attr-defined]
_quote = InterviewQuote.__table__  # type: ignore[attr-defined]
_interview = WinLossInterview.__table__  # type: ignore[attr-defined]
_owner = Account.__table__.alias("owner_account")  # type: ignore[attr-defined]


def _program_only(user: User) -> Any:
    # Interviewees may be promised anonymity: only the program's readers search them.
    return sa.true() if reads_winloss_program(user) else None


_SHAPES: dict[str, _Shape] = {
    "account": _Shape(
        _account, lambda user: account_scope(user, _account.c.id),
        (_account.c.slug, _account.c.status, _account.c.segment),
        lambda r: Hit("account", r.id, highlighted(r.title), highlighted(r.snippet),
                      " · ".join(x for x in (r.segment, r.status) if x),
                      "accounts.show", {"slug": r.slug})),
    "stakeholder": _Shape(
        _stakeholder, lambda user: account_scope(user, _stakeholder.c.account_id),
        (_owner.c.name.label("account"),),
        lambda r: Hit("stakeholder", r.id, highlighted(r.title), highlighted(r.snippet),
                      r.account, "stakeholders.show", {"stakeholder_id": r.id}),
        joins_on=((_owner, _owner.c.id == _stakeholder.c.account_id),)),
    "deal": _Shape(
        _deal, lambda user: deal_scope(user),
        (_owner.c.name.label("account"), _deal.c.outcome),
        lambda r: Hit("deal", r.id, highlighted(r.title), highlighted(r.snippet),
                      " · ".join(x for x in (r.account, r.outcome) if x),
                      "winloss.deal", {"deal_id": r.id}),
        joins_on=((_owner, _owner.c.id == _deal.c.account_id),)),
    "value_entry": _Shape(
        _entry, lambda user: account_scope(user, _entry.c.account_id),
        (_owner.c.name.label("account"), _owner.c.slug, _entry.c.delivered_on),
        lambda r: Hit("value_entry", r.id, highlighted(r.title), highlighted(r.snippet),
                      f"{r.account} · {r.delivered_on or 'described'}",
                      "value.log", {"slug": r.slug, "_anchor": f"entry-{r.id}"}),
        joins_on=((_owner, _owner.c.id == _entry.c.account_id),)),
    "commitment": _Shape(
        _commitment, lambda user: account_scope(user, _commitment.c.account_id),
        (_owner.c.name.label("account"), _owner.c.slug, _commitment.c.due_on),
        lambda r: Hit("commitment", r.id, highlighted(r.title), Markup(""),
                      f"{r.account} · due {r.due_on}", "value.overview",
                      {"slug": r.slug, "_anchor": f"commitment-{r.id}"}),
        joins_on=((_owner, _owner.c.id == _commitment.c.account_id),)),
    "quote": _Shape(
        _quote, _program_only,
        (_quote.c.interview_id, _deal.c.name.label("deal")),
        lambda r: Hit("quote", r.id, highlighted(r.title), highlighted(r.snippet),
                      f"Interview about {r.deal}", "winloss.interview",
                      {"interview_id": r.interview_id}),
        joins_on=((_interview, _interview.c.id == _quote.c.interview_id),
                  (_deal, _deal.c.id == _interview.c.deal_id))),
    "interview": _Shape(
        _interview, _program_only,
        (_deal.c.name.label("deal"), _interview.c.status),
        lambda r: Hit("interview", r.id, Markup(escape(f"Interview about {r.deal}")),
                      highlighted(r.snippet), r.status, "winloss.interview",
                      {"interview_id": r.id}),
        joins_on=((_deal, _deal.c.id == _interview.c.deal_id),)),
}

# The columns each kind's results carry, by name: the PostgreSQL statement's branches
# (one per kind) all return all of them, NULL where a kind has none.
_EXTRA_COLUMNS: dict[str, Any] = {
    column.key: column.type for shape in _SHAPES.values() for column in shape.columns}
