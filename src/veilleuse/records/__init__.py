"""The records database (SQLAlchemy + Alembic): what people and runs decide, kept apart from notices."""
