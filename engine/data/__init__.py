"""Market data: providers (Yahoo, CSV, demo), exchange calendars, validation and incremental sync."""
