"""Quantdesk storage: the only package that speaks SQL (SQLAlchemy 2.0 models, sessions, queries)."""
