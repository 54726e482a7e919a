from __future__ import annotations

import pytest

from monitor.urls import canonical_url, is_http_url


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.nur.kz/politics/2145678-slug/",
        "http://nur.kz/politics/2145678-slug",
        "https://m.nur.kz/politics/2145678-slug/?utm_source=telegram&utm_medium=social",
        "https://nur.kz/politics/2145678-slug/#comments",
        "https://nur.kz/politics/2145678-slug/amp/",
        "https://nur.kz/amp/politics/2145678-slug/",
    ],
)
def test_variants_share_one_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == "https://nur.kz/politics/2145678-slug"


def test_meaningful_query_is_kept() -> None:
    assert canonical_url("https://khabar.kz/ru/news?start=20&utm_campaign=x") == "https://khabar.kz/ru/news?start=20"


def test_only_http_links() -> None:
    assert is_http_url("https://x.kz") and not is_http_url("javascript:alert(1)") and not is_http_url("data:x")
