"""The project imports deterministically: `settings`, `spiders` and `pipelines` are always this repository's."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_project_modules_come_from_the_repository() -> None:
    import pipelines
    import settings
    import spiders

    for module in (settings, spiders, pipelines):
        assert Path(module.__file__ or "").resolve().is_relative_to(ROOT), module


def test_crawl_runner_refuses_a_shadowing_module(monkeypatch: object, tmp_path: Path) -> None:
    """A site-packages `settings` module earlier on sys.path must not be used by the crawl."""
    fake = tmp_path / "settings.py"
    fake.write_text("BOT_NAME = 'impostor'\n")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import monitor.crawl as c; c.use_project(); "
        "import settings; print(settings.BOT_NAME)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kz-labour-monitor"


def test_scrapy_list_from_the_root() -> None:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["news"]


def test_monitor_library_does_not_import_scrapy() -> None:
    """Pure logic lives in monitor/; only the crawl runner starts Scrapy."""
    offenders = []
    for path in (ROOT / "monitor").rglob("*.py"):
        if path.name == "crawl.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "scrapy" or n.startswith(("scrapy.", "scrapy_redis", "twisted")) for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
