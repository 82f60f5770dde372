"""Reading a pack's files from a folder or a ``.zip``, with limits checked while reading."""
from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.errors import Problem

MAX_FILE_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MAX_MEMBERS = 1000
KIND_FOLDERS = {"forms": "form", "rules": "ruleset", "workflows": "workflow"}
DEFINITION_SUFFIXES = (".yaml", ".yml", ".json")
PACK_FILE = "pack.yaml"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file of a pack: its path inside the pack (POSIX) and its text."""

    path: str
    text: str

    @property
    def folder_kind(self) -> str | None:
        """The kind the file's folder holds (``forms/`` → ``form``); None for ``pack.yaml``."""
        head = PurePosixPath(self.path).parts[0]
        return KIND_FOLDERS.get(head)


def is_pack_member(path: str) -> bool:
    """``pack.yaml`` or a definition file directly inside ``forms/``, ``rules/``, ``workflows/``."""
    parts = PurePosixPath(path).parts
    if parts == (PACK_FILE,):
        return True
    return (len(parts) == 2 and parts[0] in KIND_FOLDERS
            and parts[1].endswith(DEFINITION_SUFFIXES) and not parts[1].startswith("."))


def _decode(data: bytes, path: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(file=path, message=f"not UTF-8 text (byte {exc.start})"))
        return None


def read_pack(location: str | Path) -> tuple[list[SourceFile], list[Problem]]:
    """The pack files at ``location`` (folder or zip) and every problem met reading them."""
    location = Path(location)
    if location.is_dir():
        return _read_folder(location)
    if location.is_file() and zipfile.is_zipfile(location):
        return _read_zip(location)
    if location.exists():
        return [], [Problem(file=str(location), message="not a folder or a .zip file")]
    return [], [Problem(file=str(location), message="no such file or folder")]


def _too_big(path: str, limit: int) -> Problem:
    return Problem(file=path, message=f"file is larger than the limit of {limit} bytes")


def _read_folder(root: Path) -> tuple[list[SourceFile], list[Problem]]:
    files, problems = [], []
    candidates = [root / PACK_FILE] + [p for folder in KIND_FOLDERS for p in
                                       sorted((root / folder).glob("*")) if (root / folder).is_dir()]
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        if not is_pack_member(rel) or not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink():
            problems.append(Problem(file=rel, message="symbolic links are not allowed in a pack"))
            continue
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problems.append(_too_big(rel, MAX_FILE_BYTES))
            continue
        text = _decode(data, rel, problems)
        if text is not None:
            files.append(SourceFile(rel, text))
    return files, problems


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\\" in name:
        return "zip entry name contains a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "zip entry has an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "zip entry points outside the pack ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic links are not allowed in a pack"
    return None


def _read_zip(location: Path) -> tuple[list[SourceFile], list[Problem]]:
    with zipfile.ZipFile(location) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            return [], [Problem(file=location.name, message=f"zip has {len(infos)} entries, "
                                                            f"more than the limit of {MAX_MEMBERS}")]
        problems = [Problem(file=i.filename, message=m) for i in infos
                    if (m := _member_problem(i))]
        if problems:
            return [], problems
        prefix = _common_root(infos)
        return _read_members(archive, infos, prefix, location.name)


def _common_root(infos: list[zipfile.ZipInfo]) -> str:
    """``top/`` when the pack was zipped with its folder (``top/pack.yaml``), else ``''``."""
    names = {i.filename for i in infos}
    if PACK_FILE in names:
        return ""
    tops = {PurePosixPath(n).parts[0] for n in names if n.strip("/")}
    if len(tops) == 1 and f"{next(iter(tops))}/{PACK_FILE}" in names:
        return f"{next(iter(tops))}/"
    return ""


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int):
    """Read one entry in chunks, counting real bytes (headers may lie), stopping at a limit."""
    data, read = bytearray(), 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            read += len(chunk)
            total += len(chunk)
            if total > MAX_TOTAL_BYTES or read > MAX_FILE_BYTES:
                break
            data += chunk
    return bytes(data), read, total


def _read_members(archive: zipfile.ZipFile, infos, prefix: str, zip_name: str):
    files, problems, total = [], [], 0
    for info in infos:
        rel = info.filename[len(prefix):] if info.filename.startswith(prefix) else None
        if info.is_dir() or rel is None or not is_pack_member(rel):
            continue
        try:
            data, read, total = _read_member(archive, info, total)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            problems.append(Problem(file=rel, message=f"zip entry is corrupt: {exc}"))
            continue
        if total > MAX_TOTAL_BYTES:
            return [], [Problem(file=zip_name, message="zip uncompresses to more than the "
                                                       f"limit of {MAX_TOTAL_BYTES} bytes")]
        if read > MAX_FILE_BYTES:
            problems.append(_too_big(rel, MAX_FILE_BYTES))
            continue
        text = _decode(data, rel, problems)
        if text is not None:
            files.append(SourceFile(rel, text))
    return files, problems
