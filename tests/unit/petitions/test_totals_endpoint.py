"""GET /petitions/{id}/totals: what the dashboard polls."""
from chalicelib.petitions import catalog
from chalicelib.tally import stream_tally
from tests.support.streams import event, image, record


def tally(*pairs):
    records = [record(10 ** 21 + i, None, image("demo", country, key=f"demo#{i}")) for i, country in enumerate(pairs)]
    stream_tally.handle(event(records))


def test_new_petition_answers_zero(client, petition):
    response = client.get("/petitions/demo/totals")
    assert response.status_code == 200
    body = response.json_body
    assert body == {"petition_id": "demo", "total": 0, "by_country": {}, "goal": 1500000, "updated_at": None,
                    "targets": {}, "targets_reached": []}


def test_totals_by_country_sum_to_the_total(client, petition):
    tally("GB", "GB", "FR", "KE")
    body = client.get("/petitions/demo/totals").json_body
    assert body["by_country"] == {"GB": 2, "FR": 1, "KE": 1}
    assert body["total"] == 4 == sum(body["by_country"].values())
    assert list(body["by_country"]) == ["GB", "FR", "KE"]  # largest first
    assert body["updated_at"].endswith("Z")


def test_countries_back_at_zero_are_omitted(client, petition):
    tally("GB", "FR")
    stream_tally.handle(event([record(10 ** 22, image("demo", "FR", key="demo#1"), None)]))
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}


def test_strong_etag_and_304(client, petition):
    first = client.get("/petitions/demo/totals")
    tag = first.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    again = client.get("/petitions/demo/totals", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["ETag"] == tag
    tally("GB")
    changed = client.get("/petitions/demo/totals", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_cache_and_cors_headers(client, petition):
    response = client.get("/petitions/demo/totals", headers={"Origin": "https://anyone.example"})
    assert response.headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_exactly_one_read_per_request(client, petition, aws_calls):
    """Once the petition's configuration is cached (read at most once per cache period, as on the sign path)."""
    tally("GB")
    client.get("/petitions/demo/totals")
    aws_calls.calls.clear()
    client.get("/petitions/demo/totals")
    assert aws_calls.calls == ["Query"]  # the base item and every shard's item, in one request
    assert aws_calls.calls[0].params["ConsistentRead"] is True


def test_a_container_reads_a_petitions_totals_at_most_once_per_cache_period(client, petition, aws_calls,
                                                                            monkeypatch):
    import time

    from tools.caches import reset_caches

    monkeypatch.setenv("TOTALS_CACHE_SECONDS", "0.25")
    reset_caches()
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    tally("GB")
    catalog.load("demo")  # the petition (goal, targets) is cached on its own schedule
    aws_calls.calls.clear()
    first = client.get("/petitions/demo/totals")
    stream_tally.handle(event([record(10 ** 22, None, image("demo", "FR", key="demo#fr"))]))
    again = client.get("/petitions/demo/totals")
    assert aws_calls.reads() == ["Query"] and again.body == first.body
    assert again.headers["ETag"] == first.headers["ETag"]
    clock[0] += 0.3
    later = client.get("/petitions/demo/totals").json_body
    assert aws_calls.reads() == ["Query", "Query"] and later["by_country"] == {"GB": 1, "FR": 1}


def test_unknown_petition_is_404(client, tables):
    assert client.get("/petitions/nope/totals").status_code == 404
    assert client.get("/petitions/NOT%20VALID/totals").status_code == 404
