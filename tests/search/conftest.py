import pytest


@pytest.fixture(autouse=True)
def _full_text_backend(db):
    """Choose the database search backend after the test database exists, so that SQLite runs with its
    FTS5 tables as a real site does (chosen before migrations, it falls back to LIKE queries)."""
    from modelsearch.backends import database

    database.USE_SQLITE_FTS = None
    yield
    database.USE_SQLITE_FTS = None
