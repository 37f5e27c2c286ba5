"""The admin area's data-rights action: remove a signer by address, signed in, with the CSRF token, recorded."""
from __future__ import annotations

from chalicelib.rights import erasure
from tests.support.admin_session import ADMIN
from tests.support.moto_stack import sign, tally, totals
from tools import petition_admin


def test_an_admin_removes_a_signer_by_address_and_the_count_drops(admin, client, tables):
    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    sign(client, "Amina Yusuf", "amina@example.org", "GB")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    tally()
    page = admin.get("/admin/petitions/demo").body.decode()
    assert 'action="/admin/petitions/demo/erase"' in page
    token = admin.csrf(page)
    assert admin.post("/admin/petitions/demo/erase", {"email": "jean@example.org"}).status_code == 403  # no token
    done = admin.post("/admin/petitions/demo/erase", {"email": "Jean@Example.org", "csrf_token": token})
    assert done.status_code == 200 and "Signature removed" in done.body.decode()
    tally()
    assert totals(client)["by_country"] == {"GB": 1}
    (record,) = erasure.records()
    assert (record.actor, record.petition_id, record.after) == (ADMIN, "demo", {"channel": "operator"})
    again = admin.post("/admin/petitions/demo/erase", {"email": "jean@example.org", "csrf_token": token})
    assert again.status_code == 404
    assert admin.post("/admin/petitions/demo/erase", {"email": "nope", "csrf_token": token}).status_code == 422
