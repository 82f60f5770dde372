"""Placeholder: this report is being built."""
