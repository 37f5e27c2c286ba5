"""The audit trail reads newest first, keeps changes made in the same second in order, and lists what changed."""
from __future__ import annotations

from chalicelib.audit import trail


def test_entries_read_newest_first_in_the_order_they_were_made(tables):
    for n in range(3):
        trail.record("admin@example.org", f"step-{n}", "demo", now=1_800_000_000)  # all in one second
    trail.record("ops@example.org", "erase", None, now=1_800_000_060)
    assert [e.action for e in trail.latest()] == ["erase", "step-2", "step-1", "step-0"]
    assert trail.latest(limit=2)[1].action == "step-2"


def test_an_entry_keeps_the_fields_before_and_after_and_names_what_changed(tables):
    trail.record("admin@example.org", "update", "demo", before={"title": "Old", "goal": 10},
                 after={"title": "New", "goal": 10})
    (entry,) = trail.latest()
    assert (entry.actor, entry.petition_id, entry.before["title"], entry.after["title"]) == \
        ("admin@example.org", "demo", "Old", "New")
    assert entry.changes() == [("title", "Old", "New")]
    assert entry.as_json()["after"] == {"title": "New", "goal": 10}
