"""Customer clean-up: name normalization, duplicate finding, merging.

``names.normalize_name`` (with ``places`` for leading place names) gives the comparison key
stored as ``normalized_name``; ``duplicates.find_duplicates`` lists likely duplicates, held apart
by ``distinctions``; ``merge.merge_customers`` merges one customer into another.
"""
