"""The store: database schema, migrations and reading/writing records."""
