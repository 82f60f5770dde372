"""Realistic synthetic data for trying kamflow: Chinese hospitals, reps, products and facts.

``dataset`` generates it (deterministic for a seed) and writes the SPEC §6 CSV files;
``orchestrate`` runs the whole demo: initialize, import those files, evaluate, run workflows.
"""
