"""Rollups: figures kept per group and period, updated with the writes that change them."""
