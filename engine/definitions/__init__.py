"""Definitions: reading packs, validating them, immutable spec objects, versioned storage."""
