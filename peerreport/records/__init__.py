"""The record model: activities, breakdown counts, workforce entries, feedback tallies,
and the closed vocabularies they draw from (`vocabularies.toml`)."""
