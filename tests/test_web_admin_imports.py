"""``/admin/imports``: an admin uploads a data file, sees the dry run's counts or its row
problems (paged, downloadable), imports it as a job, and finds it in the import history."""
from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import transaction
from engine.jobs.worker import WorkerSettings, work
from engine.models import Job, Product
from web_support import app, csrf_token, make_app, sign_in, text  # noqa: F401  (fixtures)
from web_world import PASSWORD, _world_snapshot, world  # noqa: F401  (fixtures)

DATA = Path(__file__).parent / "data" / "imports"
GOOD, BAD = DATA / "good", DATA / "bad"
HOSTILE = 'x"><img src=x onerror=alert(1)>'


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def site(make_app, folder):
    return make_app(UPLOAD_FOLDER=str(folder))


def _client(app, username: str = "admin"):
    client = app.test_client()
    assert sign_in(client, username, PASSWORD).status_code == 302
    client.post("/language", data={"locale": "en", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})
    return client


def _upload(client, content: bytes, name: str, kind: str = "products", encoding: str = "",
            token: bool = True):
    data = {"kind": kind, "encoding": encoding, "file": (io.BytesIO(content), name)}
    if token:
        data["csrf_token"] = csrf_token(client, "/admin/imports")
    return client.post("/admin/imports", data=data, content_type="multipart/form-data")


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/imports"),
                                   **(data or {})})


def _job_id(response) -> int:
    assert response.status_code == 303, text(response)
    return int(re.search(r"/admin/imports/jobs/(\d+)$", response.headers["Location"]).group(1))


def _work(engine) -> None:
    assert work(engine, threading.Event(), WorkerSettings(), once=True) >= 1


def _count(engine, model) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def _stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*") if not p.name.startswith(".")) \
        if folder.exists() else []


def test_only_admins_may_upload(site, world):
    assert _client(site).get("/admin/imports").status_code == 200
    for username in ("m1", "r1", "s1"):
        client = _client(site, username)
        assert client.get("/admin/imports").status_code == 403
        assert client.post("/admin/imports", data={}).status_code in (400, 403)


def test_a_good_file_is_checked_then_imported_and_listed_in_the_history(site, world, engine,
                                                                         folder):
    client = _client(site)
    products = _count(engine, Product)
    dry = _job_id(_upload(client, (GOOD / "products.csv").read_bytes(), "产品 2026.csv"))
    assert len(_stored(folder)) == 1
    waiting = text(client.get(f"/admin/imports/jobs/{dry}"))
    assert 'hx-trigger="every 1s"' in waiting and "产品 2026.csv" in waiting
    _work(engine)
    done = text(client.get(f"/admin/imports/jobs/{dry}/status"))
    assert "hx-trigger" not in done
    assert re.search(r'<td class="num">3</td><td class="num">3</td><td class="num">0</td>'
                     r'<td class="num">0</td>', done), done
    assert "UTF-8 (detected)" in done and "Import now" in done
    assert _count(engine, Product) == products             # a dry run changes nothing
    assert len(_stored(folder)) == 1                       # kept for the import

    real = _job_id(_post(client, f"/admin/imports/jobs/{dry}/import"))
    # Asking again leads to the same import instead of starting another.
    assert _job_id(_post(client, f"/admin/imports/jobs/{dry}/import")) == real
    _work(engine)
    page = text(client.get(f"/admin/imports/jobs/{real}"))
    assert "What the import did" in page and 'href="/admin/imports"' in page
    assert _count(engine, Product) == products + 3
    assert _stored(folder) == []                           # deleted once imported
    assert f'href="/admin/imports/jobs/{real}"' in text(client.get(f"/admin/imports/jobs/{dry}"))

    history = text(client.get("/admin/imports"))
    row = re.search(r'<table class="import-table import-history[^"]*">.*?</table>', history, re.S)
    assert row and "产品 2026.csv" in row.group() and ">admin</td>" in row.group()
    assert re.search(r'<td class="num"[^>]*>3</td><td class="num"[^>]*>3</td>'
                     r'<td class="num"[^>]*>0</td><td class="num"[^>]*>0</td>', row.group())
    # The history's file name is the one the admin gave, not the stored one.
    assert not re.search(r"[0-9a-f]{32}\.csv", row.group())


def test_a_bad_file_shows_its_row_problems_and_imports_nothing(site, world, engine, folder):
    client = _client(site)
    dry = _job_id(_upload(client, (BAD / "orders_values.csv").read_bytes(), "orders.csv",
                          kind="orders"))
    _work(engine)
    page = text(client.get(f"/admin/imports/jobs/{dry}"))
    assert re.search(r"The file has \d+ problems", page)
    assert re.search(r'<td class="num"[^>]*>2</td><td[^>]*>date</td><td class="cell-value"'
                     r'[^>]*>&#39;2024-1-15&#39;</td>', page), page
    assert "Import now" not in page
    assert _stored(folder) == []                           # nothing left to import
    assert _post(client, f"/admin/imports/jobs/{dry}/import").status_code == 409
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "import")) == 1
    download = client.get(f"/admin/imports/jobs/{dry}/problems.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(download).lstrip("\ufeff"))))
    assert rows[0] == ["row", "column", "value", "message"]
    assert ["2", "date", "'2024-1-15'"] in [r[:3] for r in rows[1:]]
    assert all(r[0].isdigit() and r[3] for r in rows[1:])


def test_problems_are_paged_and_their_download_neutralises_formulas(site, world, engine):
    lines = ["code,name,product_line,is_new"] + [
        f"P{n:03d},Name {n},line,=HYPERLINK(\"http://x\")" for n in range(30)]
    client = _client(site)
    dry = _job_id(_upload(client, "\n".join(lines).encode(), "p.csv"))
    _work(engine)
    first = text(client.get(f"/admin/imports/jobs/{dry}"))
    assert "The file has 30 problems" in first and "Page 1 of 2" in first
    assert first.count('<td class="cell-value"') == 20
    second = text(client.get(f"/admin/imports/jobs/{dry}?problems=2"))
    assert second.count('<td class="cell-value"') == 10 and '>31</td>' in second
    rows = list(csv.reader(io.StringIO(text(client.get(
        f"/admin/imports/jobs/{dry}/problems.csv")).lstrip("\ufeff"))))
    assert len(rows) == 31
    values = [r[2] for r in rows[1:]]
    assert all(v.startswith("'=HYPERLINK") or v.startswith("'") for v in values)
    # A value that is itself formula-like is written with a leading quote.
    unknown = _job_id(_upload(client, b"code,name,product_line,is_new,=cmd|x\nP1,a,b,true,1\n",
                              "u.csv"))
    _work(engine)
    rows = list(csv.reader(io.StringIO(text(client.get(
        f"/admin/imports/jobs/{unknown}/problems.csv")).lstrip("\ufeff"))))
    assert rows[1][1] == "'=cmd|x"


@pytest.mark.parametrize("kind, name, content, field, message", [
    ("products", "p.csv", None, "file", "Choose a file to upload."),
    ("teleports", "p.csv", b"code\n", "kind", "Choose one of the kinds listed."),
    ("", "p.csv", b"code\n", "kind", "Choose one of the kinds listed."),
    ("products", "p.txt", b"code\n", "file", "Upload a .csv or .xlsx file"),
    ("products", "p.exe", b"MZ", "file", "Upload a .csv or .xlsx file"),
    ("products", "p.csv", b"", "file", "The file is empty."),
])
def test_bad_input_is_refused_at_the_field_and_stores_nothing(site, world, engine, folder,
                                                              kind, name, content, field,
                                                              message):
    client = _client(site)
    jobs = _count(engine, Job)
    data = {"csrf_token": csrf_token(client, "/admin/imports"), "kind": kind}
    if content is not None:
        data["file"] = (io.BytesIO(content), name)
    response = client.post("/admin/imports", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = text(response)
    assert f'id="u-{field}-errors"' in page and message in page
    assert f'aria-describedby="u-{field}-errors"' in page
    assert _count(engine, Job) == jobs and _stored(folder) == []


def test_an_unknown_encoding_is_refused_at_its_field(site, world, engine, folder):
    response = _upload(_client(site), b"code\n", "p.csv", encoding="latin-1")
    assert response.status_code == 400 and 'id="u-encoding-errors"' in text(response)
    assert _stored(folder) == []


def test_a_too_large_file_gets_a_message_at_the_field(make_app, world, engine, folder):
    site = make_app(UPLOAD_FOLDER=str(folder), MAX_CONTENT_LENGTH=4096)
    client = _client(site)
    jobs = _count(engine, Job)
    response = _upload(client, b"code,name\n" + b"P1,x\n" * 2000, "big.csv")
    assert response.status_code == 413
    page = text(response)
    assert 'id="u-file-errors"' in page and "larger than 4 KiB" in page
    assert "<h1>Data uploads</h1>" in page
    assert _count(engine, Job) == jobs and _stored(folder) == []


def test_an_upload_without_the_csrf_token_stores_nothing(site, world, engine, folder):
    jobs = _count(engine, Job)
    response = _upload(_client(site), b"code\n", "p.csv", token=False)
    assert response.status_code == 400
    assert _count(engine, Job) == jobs and _stored(folder) == []


def test_hostile_names_and_cells_are_shown_as_text(site, world, engine):
    client = _client(site)
    # (a browser sends a double quote in a file name as %22; the test client cannot send it)
    name = "'><img src=x onerror=alert(1)>{{7*7}}<script>.csv"
    dry = _job_id(_upload(client, f"code,name,product_line,is_new\nP1,n,l,{HOSTILE}\n".encode(),
                          name))
    header = _job_id(_upload(client, b"code,name,product_line,is_new,<script>x</script>\n"
                                     b"P1,n,l,true,1\n", "h.csv"))
    _work(engine)
    page = text(client.get(f"/admin/imports/jobs/{dry}"))
    index = text(client.get("/admin/imports"))
    for shown in (page, index):
        assert "<img src=x" not in shown and "<script>x" not in shown
        assert "&#39;&gt;&lt;img src=x onerror=alert(1)&gt;{{7*7}}&lt;script&gt;.csv" in shown
    assert '">&#39;x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;</td>' in page
    page = text(client.get(f"/admin/imports/jobs/{header}"))
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page


def test_a_gbk_file_is_detected_and_can_be_checked_again_in_another_encoding(site, world,
                                                                           engine):
    client = _client(site)
    content = (GOOD / "products.csv").read_text("utf-8").encode("gbk")
    dry = _job_id(_upload(client, content, "gbk.csv"))
    _work(engine)
    page = text(client.get(f"/admin/imports/jobs/{dry}"))
    assert "GB18030 (detected)" in page and "阿托伐他汀钙片" not in page
    again = _job_id(_post(client, f"/admin/imports/jobs/{dry}/recheck", {"encoding": "gbk"}))
    _work(engine)
    assert "GBK (chosen)" in text(client.get(f"/admin/imports/jobs/{again}"))
    refused = _post(client, f"/admin/imports/jobs/{again}/recheck", {"encoding": "ebcdic"})
    assert refused.status_code == 400 and 'id="recheck-errors"' in text(refused)


def test_a_discarded_upload_cannot_be_imported(site, world, engine, folder):
    client = _client(site)
    dry = _job_id(_upload(client, (GOOD / "products.csv").read_bytes(), "p.csv"))
    _work(engine)
    assert _post(client, f"/admin/imports/jobs/{dry}/discard").status_code == 303
    assert _stored(folder) == []
    assert _post(client, f"/admin/imports/jobs/{dry}/import").status_code == 409
    assert "no longer kept" in text(client.get(f"/admin/imports/jobs/{dry}"))


def test_the_pages_of_other_jobs_answer_404(site, world):
    client = _client(site)
    assert client.get(f"/admin/imports/jobs/{world.jobs['admin']}").status_code == 404
    assert client.get("/admin/imports/jobs/999999").status_code == 404


def test_an_xlsx_file_is_checked_like_a_csv(site, world, engine):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in (["code", "name", "product_line", "is_new"], ["X1", "新品", "肿瘤", "true"]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    client = _client(site)
    dry = _job_id(_upload(client, data.getvalue(), "新品.xlsx"))
    _work(engine)
    page = text(client.get(f"/admin/imports/jobs/{dry}"))
    assert re.search(r'<td class="num">1</td><td class="num">1</td>', page), page


def test_a_real_import_that_finds_problems_fails_and_deletes_its_upload(world, engine, folder):
    from engine.imports import uploads
    from engine.jobs import queue
    stored = uploads.store(folder, io.BytesIO((BAD / "products_values.csv").read_bytes()),
                           "p.csv")
    with transaction(engine) as session:
        job_id = queue.enqueue(session, "import", {
            "kind": "products", "path": str(stored.path), "upload": stored.path.name,
            "file_name": "p.csv", "dry_run": False, "actor": "admin"}, "admin").id
    _work(engine)
    with transaction(engine) as session:
        job = session.get(Job, job_id)
        assert job.status == "failed" and "row 3" in job.error and job.result is None
    assert _stored(folder) == []


def test_only_stored_uploads_are_ever_deleted_and_old_ones_are_swept(tmp_path, folder):
    import os
    from engine.imports import uploads
    other = tmp_path / "keep.csv"
    other.write_text("code\n")
    uploads.discard(other)
    uploads.discard(tmp_path / ("0" * 32 + ".csv"))          # not in a folder of uploads
    assert other.exists()
    old = uploads.store(folder, io.BytesIO(b"code\n"), "a.csv")
    new = uploads.store(folder, io.BytesIO(b"code\n"), "b.csv")
    os.utime(old.path, (0, 0))
    assert uploads.sweep(folder) == 1
    assert not old.path.exists() and new.path.exists()
    assert uploads.clean_name("C:\\fakepath\\..\\订单\x07.csv") == "订单.csv"
