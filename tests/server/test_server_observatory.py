"""Observatory pages of the web UI (read-only, zh/en): the AI-divide index table and the incident list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

WDI = Path(__file__).resolve().parents[3] / "shared" / "data" / "country_indicators"
WDI_FILES = [WDI / f"wdi_jerosmith_{c}.csv" for c in ("IT.NET.USER.ZS", "IT.NET.BBND.P2", "SE.ADT.LITR.ZS", "SP.POP.TOTL")]


def _rows(page: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', page, re.S)
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []


def test_divide_index_and_incident_pages(client, server_db):
    # before any data: the page says so in either language, no error
    r = client.get("/observatory?lang=en")
    assert r.status_code == 200 and 'id="obs-no-data"' in r.text and "tianping divide import-wdi" in r.text
    assert "尚未导入指标数据" in client.get("/observatory?lang=zh").text
    r = client.get("/observatory/incidents?lang=en")
    assert r.status_code == 200 and 'id="inc-none"' in r.text

    if not all(p.exists() for p in WDI_FILES):
        pytest.skip("shared WDI data not available")
    from tianping.observatory.importers import import_wdi
    from tianping.observatory.incidents.schema import Incident
    from tianping.observatory.incidents.service import IncidentService
    from tianping.observatory.store import IndicatorStore

    store = IndicatorStore(server_db)
    for f in WDI_FILES:
        import_wdi(store, f)
    en = client.get("/observatory?lang=en&methodology=unesco-ram&year=2021")
    assert en.status_code == 200
    rows = _rows(en.text, "obs-table")
    assert len(rows) > 20 and "Singapore" in en.text and 'selected>2021<' in en.text.replace('value="2021" ', "")
    ranks = [int(re.search(r"<td>(\d+)</td>", r).group(1)) for r in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1  # ranked order, as `tianping divide rank`
    zh = client.get("/observatory?lang=zh&methodology=unesco-ram&year=2021")
    assert "新加坡" in zh.text and "排名" in zh.text and 'lang="zh-CN"' in zh.text
    # a group: only its members, re-ranked from 1
    asean = client.get("/observatory?lang=en&methodology=unesco-ram&year=2021&group=asean").text
    codes = set(re.findall(r"<code>([A-Z]{3})</code>", "".join(_rows(asean, "obs-table"))))
    assert codes and codes <= {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "TLS"}
    # a bad parameter is ignored rather than an error; an unknown year says there is no data
    assert client.get("/observatory?methodology=nonsense&group=nowhere").status_code == 200
    assert client.get("/observatory?year=1850").status_code == 200

    IncidentService(server_db).save([
        Incident(id="inc-a", title="Chatbot gave harmful advice", severity="high", systems=["some-system"]),
        Incident(id="inc-b", title="Recommender amplified a rumour", severity="low"),
    ])
    page = client.get("/observatory/incidents?lang=en").text
    assert len(_rows(page, "inc-table")) == 2 and "Chatbot gave harmful advice" in page
    high = client.get("/observatory/incidents?lang=zh&severity=high").text
    assert len(_rows(high, "inc-table")) == 1 and "高" in high and "Recommender" not in high
    # read-only: no form on either page changes anything
    assert 'method="post"' not in re.sub(r'<form method="post" action="/logout".*?</form>', "", page, flags=re.S)
