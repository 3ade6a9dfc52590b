"""The sync engine: mapping, identity, state store, plan, apply, journal, reports, jobs."""
