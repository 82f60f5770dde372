"""Rebuild the zip cases of nesting limits under tests/data/invalid/ (run from anywhere).

A JSON file cannot carry the expected messages in comments, so it travels in a zip whose
comment holds them, like the other zip cases (see make_invalid_zips.py).
"""
from __future__ import annotations

from make_invalid_zips import default_members, write

DEPTH = 1000


def main() -> None:
    deep = '{"kind": "form", "id": "deep", "fields": ' + "[" * DEPTH + "]" * DEPTH + "}\n"
    write("json_nested_1000.zip", default_members() + [("forms/deep.json", deep.encode())],
          ["forms/deep.json:1:106: document nests deeper than 64 levels"])


if __name__ == "__main__":
    main()
