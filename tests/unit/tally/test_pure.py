"""The tally's pure part: records to per-petition deltas, without AWS."""
import pytest

from chalicelib.tally import totals
from chalicelib.tally.stream_tally import Effect, PoisonRecord, effect_of, group_by_petition, padded
from tests.support.streams import image, record


@pytest.mark.parametrize("old, new, deltas", [
    (None, image(), {("p1", "GB"): 1}),                                       # new confirmed signature
    (None, {"signature_key": {"S": "p1#k"}}, {}),                              # moto's keys-only INSERT
    ({"signature_key": {"S": "p1#k"}}, image(), {("p1", "GB"): 1}),           # ... then the full item
    (None, image(status="pending"), {}),                                      # not counted until confirmed
    (image(status="pending"), image(), {("p1", "GB"): 1}),                    # confirmed later
    (image(), image(status="invalidated"), {("p1", "GB"): -1}),               # invalidated
    (image(), image(country="FR"), {("p1", "GB"): -1, ("p1", "FR"): 1}),      # country corrected
    (image(), image(), {}),                                                   # a change of nothing counted
    (image(), None, {("p1", "GB"): -1}),                                      # removed
    (image(status="pending"), None, {}),                                      # removed, never counted
])
def test_effect_from_old_and_new_images(old, new, deltas):
    assert effect_of(record(5, old, new)).deltas == deltas


@pytest.mark.parametrize("bad", [
    {"eventID": "x"},                                                          # no dynamodb part
    {"dynamodb": {"SequenceNumber": "12ab"}},                                  # not digits
    {"dynamodb": {"SequenceNumber": "1" * 41}},                                # too long for a sequence number
    record(5, None, "not-a-map"),
    record(5, None, {"status": "confirmed"}),                                  # untyped value
    record(5, None, {"status": {"S": "confirmed"}, "petition_id": {"S": "p1"}}),  # no country
])
def test_unreadable_records_are_poison(bad):
    with pytest.raises(PoisonRecord):
        effect_of(bad)


def test_grouping_keeps_order_and_sums_per_country():
    effects = [
        Effect(1, {("p1", "GB"): 1}),
        Effect(2, {("p2", "FR"): 1}),
        Effect(3, {}),
        Effect(4, {("p1", "GB"): -1, ("p1", "DE"): 1}),
        Effect(5, {("p1", "GB"): 1}),
    ]
    batches = group_by_petition(effects)
    assert set(batches) == {"p1", "p2"}
    assert batches["p1"].sequences == [1, 4, 5]
    assert batches["p1"].deltas == {"GB": 1, "DE": 1}
    assert batches["p1"].above(4).sequences == [5]
    assert batches["p2"].deltas == {"FR": 1}


def test_padded_sequence_numbers_order_like_integers():
    small, big = 99999999999999999999, 100000000000000000000  # 20 and 21 digits
    assert str(small) > str(big)  # the trap: plain string order is wrong
    assert padded(small) < padded(big)
    assert padded(10 ** 39) > padded(10 ** 39 - 1)


def test_counts_are_added_by_one_expression_after_the_callers_set_clauses():
    names, values = {"#hw": "hw"}, {":last": "9"}
    expression = totals.adding_counts(["#hw = :last"], names, values, {"GB": 2, "FR": -1, "DE": 0}, {"direct": 3})
    assert expression == "SET #hw = :last ADD #c1 :c1, #c2 :c2, #s0 :s0"  # sorted; the zero left out
    assert names == {"#hw": "hw", "#c1": "c_FR", "#c2": "c_GB", "#s0": "s_direct"}
    assert values == {":last": "9", ":c1": -1, ":c2": 2, ":s0": 3}
    assert totals.adding_counts(["#hw = :last"], {}, {}, {"GB": 0}) == "SET #hw = :last"  # nothing to add
