"""One blueprint per area. Views are thin: access helper, form, change, commit once."""
