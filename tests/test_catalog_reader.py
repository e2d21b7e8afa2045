"""The sqlite3 catalog reader (catalog/reader.py) gives exactly the service's answers on a current SQLite copy,
and is never used on a copy that is not current."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tianping.catalog.reader import SqliteCatalogReader
from tianping.catalog.service import CatalogService
from tianping.errors import TianpingError
from tianping.store import open_database


def _plain(value):
    return json.loads(json.dumps(value, default=str))


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = tmp_path_factory.mktemp("reader") / "c.db"
    db = open_database(f"sqlite:///{path}")
    svc = CatalogService(db)  # creates the copy
    reader = SqliteCatalogReader.open(f"sqlite:///{path}", lambda: svc)
    assert reader is not None
    yield svc, reader, path
    reader.close()
    db.dispose()


def _error(call) -> str:
    with pytest.raises(TianpingError) as info:
        call()
    return str(info.value)


def test_list_and_principles(both):
    svc, reader, _ = both
    assert reader.list_instruments() == _plain(svc.list_instruments())
    assert reader.principles() == _plain(svc.principles())


def test_every_instrument_and_provision(both):
    svc, reader, _ = both
    for inst in svc.list_instruments():
        shown = svc.show_instrument(inst["id"])
        assert reader.show_instrument(inst["id"]) == _plain(shown)
        kinds = sorted({p["kind"] for p in shown["provisions"]})
        for kind in kinds[:2]:
            assert reader.show_instrument(inst["id"], kind) == _plain(svc.show_instrument(inst["id"], kind))
        for p in shown["provisions"][:20]:
            assert reader.provision(p["qid"]) == _plain(svc.provision(p["qid"]))


def test_errors_are_the_services(both):
    svc, reader, _ = both
    assert _error(lambda: reader.show_instrument("no-such-law")) == _error(lambda: svc.show_instrument("no-such-law"))
    assert _error(lambda: reader.show_instrument("eu-ai-act", "nonsense")) == _error(
        lambda: svc.show_instrument("eu-ai-act", "nonsense")
    )
    assert _error(lambda: reader.provision("eu-ai-act:nope")) == _error(lambda: svc.provision("eu-ai-act:nope"))
    assert _error(lambda: reader.search("risk", lang="xx")) == _error(lambda: svc.search("risk", lang="xx"))


def _words(svc) -> list[str]:
    words: set[str] = set()
    for inst in svc.list_instruments()[:12]:
        for p in svc.show_instrument(inst["id"])["provisions"][:15]:
            words.update(w.strip(".,;:()'\"") for w in p["title"]["en"].split())
            zh = p["title"]["zh"]
            words.update(zh[i : i + 2] for i in range(0, max(len(zh) - 1, 1), 3))
    return sorted(w for w in words if w)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_search_equals_the_service(both, data):
    svc, reader, _ = both
    words = _words(svc)
    query = " ".join(data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=3)))
    if data.draw(st.booleans()):
        query += " " + data.draw(st.text(max_size=6))
    lang = data.draw(st.sampled_from([None, "en", "zh"]))
    limit = data.draw(st.integers(1, 40))
    ids = [i["id"] for i in svc.list_instruments()]
    instruments = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True)))
    assert reader.search(query, lang=lang, limit=limit, instruments=instruments) == svc.search(
        query, lang=lang, limit=limit, instruments=instruments
    )


def test_crosswalk_graph_and_titles(both):
    svc, reader, _ = both
    rng = random.Random(7)
    qids = [p["qid"] for i in svc.list_instruments() for p in svc.show_instrument(i["id"])["provisions"]]
    for qid in rng.sample(qids, 40) + ["eu-ai-act:art-10", "eu-ai-act:art-15"]:
        for hops, via in ((1, False), (2, False), (2, True)):
            mine = reader.graph().walk(qid, max_hops=hops, via_principles=via, min_confidence=0.5, ranked=True)
            theirs = svc.graph().walk(qid, max_hops=hops, via_principles=via, min_confidence=0.5, ranked=True)
            assert mine == theirs
            wanted = [h.qid for h in mine] + [s.target for h in mine for s in h.path if ":" in s.target]
            assert reader.titles(wanted) == _plain(svc.titles(wanted))


def test_only_a_current_copy_is_read(both, tmp_path):
    _, _, path = both
    copy = tmp_path / "stale.db"
    copy.write_bytes(path.read_bytes())
    with sqlite3.connect(copy) as c:
        c.execute("update catalog_meta set value = 'stale' where key = 'data_hash'")
    assert SqliteCatalogReader.open(f"sqlite:///{copy}", lambda: None) is None
    assert SqliteCatalogReader.open(f"sqlite:///{tmp_path / 'absent.db'}", lambda: None) is None
    assert SqliteCatalogReader.open("postgresql+psycopg://u@localhost/db", lambda: None) is None
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert SqliteCatalogReader.open(f"sqlite:///{garbage}", lambda: None) is None
