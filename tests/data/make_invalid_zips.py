"""Rebuild the zip and size-limit cases under tests/data/invalid/ (run from anywhere).

Each zip carries its expected messages in the archive comment, one ``expect:`` line each; the
oversized YAML file carries them in its header like the other cases.
"""
from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "invalid"
PACK = ["pack.yaml", "forms/hospital.yaml", "rules/value_potential.yaml",
        "workflows/quadrant_followup.yaml"]


def default_members() -> list[tuple[str, bytes]]:
    return [(name, (ROOT / name).read_bytes()) for name in PACK]


def write(name: str, members, expect: list[str], symlinks=()) -> None:
    with zipfile.ZipFile(OUT / name, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            mode = stat.S_IFLNK | 0o777 if member in symlinks else stat.S_IFREG | 0o644
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        archive.comment = "\n".join(f"expect: {e}" for e in expect).encode()


def lie_about_size(name: str, member: str, claimed: int) -> None:
    """Patch the local and central headers of ``member`` to claim ``claimed`` bytes."""
    path = OUT / name
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + offset, claimed)
            start += 4
    path.write_bytes(bytes(data))


def main() -> None:
    base = default_members()
    write("zip_absolute_path.zip", base + [("/etc/cron.d/pack.yaml", b"x: 1\n")],
          ["/etc/cron.d/pack.yaml: zip entry has an absolute path"])
    write("zip_dotdot.zip", base + [("forms/../../outside.yaml", b"x: 1\n")],
          ["forms/../../outside.yaml: zip entry points outside the pack ('..')"])
    write("zip_backslash.zip", base + [("forms\\hospital2.yaml", b"x: 1\n")],
          ["forms\\hospital2.yaml: zip entry name contains a backslash"])
    write("zip_symlink.zip", base + [("forms/passwd.yaml", b"/etc/passwd")],
          ["forms/passwd.yaml: symbolic links are not allowed in a pack"],
          symlinks={"forms/passwd.yaml"})
    write("zip_too_many_members.zip",
          base + [(f"docs/note{i:04}.txt", b"") for i in range(1000)],
          ["zip_too_many_members.zip: zip has 1004 entries, more than the limit of 1000"])
    filler = b"#" * (500 * 1024 - 1) + b"\n"
    write("zip_too_big.zip", base + [(f"forms/filler{i:02}.yaml", filler) for i in range(40)],
          ["zip_too_big.zip: zip uncompresses to more than the limit of 16777216 bytes"])
    big = b"# " + b"x" * (8 * 1024 * 1024) + b"\n"
    write("zip_lying_header.zip", base + [("forms/small.yaml", big)],
          ["forms/small.yaml: zip entry is corrupt: Bad CRC-32 for file 'forms/small.yaml'"])
    lie_about_size("zip_lying_header.zip", "forms/small.yaml", 100)
    header = ("# place: forms/too_large.yaml\n"
              "# expect: forms/too_large.yaml: file is larger than the limit of 524288 bytes\n")
    (OUT / "too_large.yaml").write_text(header + "# padding\n" * 60_000)


if __name__ == "__main__":
    main()
