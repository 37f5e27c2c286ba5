"""The front-door and dashboard cost models count what they should (no timing, no prices asserted beyond arithmetic)."""
from __future__ import annotations

import pytest

from bench import cost, dashboards

FIGURES = {"bytes_200": 3400, "bytes_304": 254, "body": 3114, "body_gzip": 1182, "item_bytes": 1811,
           "read_units": 0.5, "ms": 8.1, "countries": 249, "sign_bytes": 225}
INPUTS = cost.Inputs(sign_units=1, naive_units=2, sign_ms=1.4, batch_ms=6.7, batch_size=1000,
                     counter_units_per_record=0.002, sign_bytes=225)


def test_a_dashboard_polls_720_times_an_hour_while_figures_change_and_62_while_they_do_not():
    assert dashboards.polls_in(3600, changing=True) == 720
    assert dashboards.polls_in(3600, changing=False) == 62  # 5, 15, 35, 75 s, then every 60 s
    assert dashboards.polls_in(4, changing=True) == 0


def test_behind_the_cdn_the_api_sees_one_request_per_max_age_whatever_the_audience():
    few = dashboards.lines(FIGURES, 1_000)["HTTP API behind CloudFront (default)"]
    many = dashboards.lines(FIGURES, 72_000_000)["HTTP API behind CloudFront (default)"]
    line = "API, Lambda and DynamoDB behind it: one request per max-age"
    assert few[line] == many[line] > 0
    assert many["CloudFront: HTTPS requests"] == pytest.approx(72_000_000 * 0.01 / 10_000)


def test_the_http_api_saves_exactly_the_price_difference_per_request():
    http, rest = sum(cost.lines(INPUTS).values()), sum(cost.lines(INPUTS, front_door="rest").values())
    assert rest - http == pytest.approx(3.50 - 1.00)
    assert http <= cost.TARGET_PER_MILLION


def test_each_optional_layer_is_priced_on_its_own_line():
    layers = cost.layers(INPUTS)
    assert len(layers) == 3
    cdn, waf, mail = layers.values()
    assert cdn == pytest.approx(1.00 + 225 / 1024 ** 3 * cost.CLOUDFRONT_GB_OUT * 1_000_000)
    assert waf == pytest.approx(0.60)
    assert mail == pytest.approx(100.0)
