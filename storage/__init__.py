"""aiosqlite access: connection, migrations, one module per aggregate. All SQL lives here."""
