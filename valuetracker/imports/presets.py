"""Import presets: how the standard CSV exports of Salesforce and HubSpot read.

A preset names, per kind, the columns those systems write and the field each feeds,
the words of their choice columns (stages, lifecycle stages) and their date format. The
runner applies it before anything else, and an explicit mapping (`--map`, the wizard's
choices), word mapping or date format still wins. One definition for the CLI
(`valuetracker import KIND FILE --preset NAME`) and the web wizard; the columns are
listed in docs/import-format.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .reading import IGNORE, ImportStop, Table, norm_name, norm_word


@dataclass(frozen=True)
class Joined:
    """A field some systems split in two columns (First Name, Last Name): the runner adds
    one column, named `header`, holding the parts joined by a space."""

    header: str
    parts: tuple[str, ...]
    target: str


@dataclass(frozen=True)
class KindPreset:
    """One kind's reading of a system's export."""

    # (file column as the system writes it, field or "ignore"), in order of preference:
    # when two columns of the file would feed one field, the first listed wins and the
    # other is ignored.
    columns: tuple[tuple[str, str], ...]
    # Words of choice columns (as the system writes them) the shared vocabulary lacks.
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # strptime format of the system's non-ISO dates (ISO dates are read anyway).
    date_format: str | None = None
    joined: tuple[Joined, ...] = ()


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    kinds: Mapping[str, KindPreset]


_SF_DATES = "%m/%d/%Y"  # Salesforce in the US locale: 12/31/2026, 12/31/2026 10:00 AM

SALESFORCE = Preset("salesforce", "Salesforce", {
    "deals": KindPreset(
        columns=(("Opportunity ID", "external_id"), ("Opportunity Name", "name"),
                 ("Account Name", "account"), ("Account ID", IGNORE),
                 ("Amount", "amount"), ("Close Date", "closed_on"), ("Stage", "outcome"),
                 ("Opportunity Owner", "owner"), ("Created Date", "opened_on"),
                 ("Product Name", "product"), ("Primary Competitor", "primary_competitor"),
                 ("Type", IGNORE), ("Lead Source", IGNORE), ("Probability (%)", IGNORE),
                 ("Fiscal Period", IGNORE), ("Next Step", IGNORE), ("Age", IGNORE),
                 ("Forecast Category", IGNORE)),
        # The stages of Salesforce's standard sales process that the shared stage words
        # (imports/deals.py) do not already read.
        value_maps={"outcome": {"Id. Decision Makers": "open"}},
        date_format=_SF_DATES,
    ),
    "accounts": KindPreset(
        columns=(("Account ID", "external_id"), ("Account Name", "name"),
                 ("Account Owner", "owner"), ("Industry", "industry"),
                 ("Annual Revenue", "annual_revenue"), ("Segment", "segment"),
                 ("Type", IGNORE), ("Account Number", IGNORE), ("Parent Account", IGNORE),
                 ("Billing City", IGNORE), ("Billing State/Province", IGNORE),
                 ("Billing Country", IGNORE), ("Phone", IGNORE), ("Website", IGNORE),
                 ("Employees", IGNORE), ("Created Date", IGNORE),
                 ("Last Activity", IGNORE)),
        date_format=_SF_DATES,
    ),
    "stakeholders": KindPreset(
        columns=(("Contact ID", "external_id"), ("Account Name", "account"),
                 ("Account ID", IGNORE), ("Full Name", "name"), ("Title", "title"),
                 ("Email", "email"), ("Phone", "phone"), ("Mobile", IGNORE),
                 ("Reports To", "reports_to"), ("Email Opt Out", "opted_out"),
                 ("Contact Owner", IGNORE), ("Lead Source", IGNORE),
                 ("Department", IGNORE), ("Mailing City", IGNORE),
                 ("Mailing Country", IGNORE), ("Created Date", IGNORE),
                 ("Last Activity", IGNORE)),
        date_format=_SF_DATES,
        joined=(Joined("First Name + Last Name", ("First Name", "Last Name"), "name"),),
    ),
})

HUBSPOT = Preset("hubspot", "HubSpot", {
    "deals": KindPreset(
        columns=(("Record ID", "external_id"), ("Deal Name", "name"),
                 ("Associated Company", "account"), ("Company Name", "account"),
                 ("Amount", "amount"), ("Close Date", "closed_on"),
                 ("Deal Stage", "outcome"), ("Deal owner", "owner"),
                 ("Create Date", "opened_on"), ("Deal Type", IGNORE),
                 ("Pipeline", IGNORE), ("Last Activity Date", IGNORE),
                 ("Forecast category", IGNORE), ("Deal probability", IGNORE),
                 ("Associated Contact", IGNORE)),
        # HubSpot's default sales pipeline, by label and by internal value.
        value_maps={"outcome": {
            "Qualified to buy": "open", "qualifiedtobuy": "open",
            "appointmentscheduled": "open", "presentationscheduled": "open",
            "decisionmakerboughtin": "open", "contractsent": "open",
        }},
    ),
    "accounts": KindPreset(
        columns=(("Record ID", "external_id"), ("Company name", "name"),
                 ("Company owner", "owner"), ("Industry", "industry"),
                 ("Annual Revenue", "annual_revenue"), ("Lifecycle Stage", "status"),
                 ("Create Date", IGNORE), ("Company Domain Name", IGNORE),
                 ("Phone Number", IGNORE), ("City", IGNORE), ("Country/Region", IGNORE),
                 ("Number of Employees", IGNORE), ("Type", IGNORE),
                 ("Last Activity Date", IGNORE)),
        # Lifecycle stages: customers (and their evangelists) are active accounts.
        value_maps={"status": {
            **{w: "prospect" for w in (
                "Subscriber", "Lead", "Marketing Qualified Lead", "marketingqualifiedlead",
                "Sales Qualified Lead", "salesqualifiedlead", "Opportunity", "Other")},
            "Customer": "active", "Evangelist": "active",
        }},
    ),
    "stakeholders": KindPreset(
        columns=(("Record ID", "external_id"), ("Associated Company", "account"),
                 ("Company Name", "account"), ("Job Title", "title"),
                 ("Email", "email"), ("Phone Number", "phone"),
                 ("Unsubscribed from all email", "opted_out"),
                 ("Contact owner", IGNORE), ("Lifecycle Stage", IGNORE),
                 ("Create Date", IGNORE), ("Last Activity Date", IGNORE),
                 ("Lead Status", IGNORE), ("Marketing contact status", IGNORE),
                 ("Mobile Phone Number", IGNORE), ("City", IGNORE),
                 ("Country/Region", IGNORE)),
        joined=(Joined("First Name + Last Name", ("First Name", "Last Name"), "name"),),
    ),
})

PRESETS: dict[str, Preset] = {p.name: p for p in (SALESFORCE, HUBSPOT)}

def find_preset(name: str) -> Preset:
    """The preset called `name` (any case), or ImportStop naming the presets there are."""
    preset = PRESETS.get(norm_name(name))
    if preset is None:
        raise ImportStop(f'Unknown preset "{name}" (presets: {", ".join(PRESETS)}).')
    return preset


def get_preset(name: str, kind: str) -> KindPreset:
    """The preset `name` for `kind`, or ImportStop."""
    preset = find_preset(name)
    if kind not in preset.kinds:
        raise ImportStop(f"The {preset.label} preset has no {kind} "
                         f'(it reads {", ".join(preset.kinds)}).')
    return preset.kinds[kind]


def prepare_table(table: Table, kind_preset: KindPreset) -> Table:
    """The table with the preset's joined columns added (First Name + Last Name), when the
    file has their parts and no column of that name yet."""
    normalised = [norm_name(h) for h in table.headers]
    for joined in kind_preset.joined:
        whole = {norm_name(h) for h, target in kind_preset.columns if target == joined.target}
        if norm_name(joined.header) in normalised or whole & set(normalised):
            continue  # the file has the whole name already (Salesforce's "Full Name")
        where = [normalised.index(norm_name(p)) for p in joined.parts
                 if norm_name(p) in normalised]
        if not where:
            continue
        headers = [*table.headers, joined.header]
        rows = [(number, [*cells, " ".join(cells[i] for i in where if cells[i])])
                for number, cells in table.rows]
        table = Table(headers, rows)
        normalised.append(norm_name(joined.header))
    return table


def preset_mapping(kind_preset: KindPreset, headers: list[str], names: set[str],
                   overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """{normalised file column: field} for the columns of this file the preset reads,
    with `overrides` (the user's own mapping) on top.

    A field already fed by a column named after it, by an earlier preset column, or by
    an override is not given to a second column: that one is ignored instead, so a
    preset never makes two columns feed one field.
    """
    overrides = {norm_name(k): norm_name(v) for k, v in (overrides or {}).items()}
    normalised = [norm_name(h) for h in headers]
    present = set(normalised)
    columns = [*kind_preset.columns, *((j.header, j.target) for j in kind_preset.joined)]
    taken = {v for v in overrides.values() if v != IGNORE}
    # Columns named exactly after a field feed it by themselves (unless remapped).
    taken |= {n for n in normalised if n in names and n not in overrides}
    mapping: dict[str, str] = {}
    for header, target in columns:
        source = norm_name(header)
        if source not in present or source in overrides or source in mapping:
            continue
        if target != IGNORE and target in taken and source != target:
            mapping[source] = IGNORE
            continue
        mapping[source] = target
        taken.add(target)
    # The parts of a joined column are read through it (or the whole name) alone.
    for joined in kind_preset.joined:
        for part in joined.parts:
            if norm_name(part) in present and norm_name(part) not in overrides:
                mapping.setdefault(norm_name(part), IGNORE)
    mapping.update({k: v for k, v in overrides.items()})
    return mapping


def merged_value_maps(kind_preset: KindPreset,
                      own: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    """The preset's word mappings with the user's own on top."""
    merged = {f: {norm_word(w): v for w, v in words.items()}
              for f, words in kind_preset.value_maps.items()}
    for f, words in (own or {}).items():
        merged.setdefault(f, {}).update(words)
    return merged


def describe(kind_preset: KindPreset, headers: list[str],
             mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """(file column, field or "ignore") for each column of the file the preset read, as
    the wizard and the CLI show the mapping it applied."""
    own = {norm_name(h) for h, _ in kind_preset.columns} | {
        norm_name(j.header) for j in kind_preset.joined} | {
        norm_name(p) for j in kind_preset.joined for p in j.parts}
    return [(h, mapping[norm_name(h)]) for h in headers
            if norm_name(h) in own and norm_name(h) in mapping]


__all__ = ["PRESETS", "Preset", "KindPreset", "Joined", "find_preset", "get_preset",
           "prepare_table",
           "preset_mapping", "merged_value_maps", "describe"]
