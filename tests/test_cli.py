"""The command line: the demo, and one-line errors with exit status 2 for bad configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_monitor


@pytest.mark.slow
def test_demo_twice(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = run_monitor("demo", "--out", str(out))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "articles stored" in first.stdout and "alarms" in first.stdout
    html = (out / "digest-2026-07-02.html").read_text(encoding="utf-8")
    assert 'id="alarms"' in html and "Жезказган" in html
    assert (out / "digest-2026-07-02.md").exists() and (out / "monitor.db").exists()
    second = run_monitor("demo", "--out", str(out))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "0 new articles" in second.stdout


@pytest.mark.parametrize("db", ["nosuchdriver://x", "sqlite:////no/such/folder/m.db"])
def test_bad_db_is_one_line_and_exit_2(db: str) -> None:
    result = run_monitor("digest", "--db", db, "--date", "2026-07-02")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and len(result.stderr.strip().splitlines()) == 1


def test_unwritable_out_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_monitor("demo", "--out", str(blocker / "sub"))
    assert result.returncode == 2 and "cannot write" in result.stderr
    assert blocker.read_text() == ""


def test_classify_cli_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(
            {"id": "a", "title": "Забастовка на Казахмысе в Сатпаеве", "text": "Горняки не вышли на работу."},
            ensure_ascii=False,
        )
        + "\n{not json\n"
        + json.dumps({"id": "c", "title": "Курс тенге", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    result = run_monitor("classify", str(src))
    assert result.returncode == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x.get("id") for x in lines] == ["a", None, "c"]
    assert lines[0]["relevant"] is True and "strike" in lines[0]["topics"]
    assert lines[1]["line"] == 2 and "error" in lines[1]
    assert lines[2]["relevant"] is False


def test_extract_cli(tmp_path: Path) -> None:
    import gzip

    good = tmp_path / "a.html.gz"
    good.write_bytes(
        gzip.compress(
            (
                "<html><head><title>Т</title></head><body><h1>Заголовок статьи</h1><p>"
                + "Текст статьи. " * 40
                + "</p></body></html>"
            ).encode()
        )
    )
    bad = tmp_path / "missing.html"
    result = run_monitor("extract", str(good), str(bad), "--url", "https://x.kz/1")
    assert result.returncode == 1 and "missing.html" in result.stderr
    row = json.loads(result.stdout.splitlines()[0])
    assert row["title"] == "Заголовок статьи" and row["is_article"] is True and row["url"] == "https://x.kz/1"
