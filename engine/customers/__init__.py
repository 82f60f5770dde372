"""Customers: name normalization, duplicate finding, merging."""
