"""Rollups: figures per account (and per segment) kept current with every write, so a
portfolio-wide figure aggregates a few thousand rollup rows instead of every source row.

`build.py` computes them (for some accounts, or all at once); `maintain.py` keeps them
current in the writer's transaction. Value delivered per month and driver (total and
confirmed) and the pulses' driver rankings are rolled up here; see docs/scale.md.
`deals.py` keeps the win/loss figures per month of closing (deal outcomes, interview
ratings) the same way.
"""
