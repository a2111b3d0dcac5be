"""Talks to a Hydra server: the httpx client, the pydantic models, and typed errors. No Textual here."""
