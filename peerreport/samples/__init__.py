"""Synthetic sample data: a plausible, entirely fictional peer-run organisation."""
