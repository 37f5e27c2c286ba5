"""Answering a subject access request: every signature held for one address, each field with its purpose.

Found by key (the keyed hash of the canonical address, one GetItem per
petition), never by scanning. After retention has anonymised a petition, its
signatures are under random keys with no personal data: they are no longer
this person's, and this finds nothing there.
"""
from __future__ import annotations

from typing import Any

from chalicelib.aws import clients, clock, config
from chalicelib.identity import canonical_email
from chalicelib.petitions import store

# Why each stored attribute is kept, in words a signer reads.
PURPOSES: dict[str, str] = {
    "name": "Shown on the list of signatures delivered to the petition's targets.",
    "email": "Counts you once per petition, and lets us write to you about this signature (confirmation, removal).",
    "country": "Counted in the per-country figures, and shown on the delivered list.",
    "postcode": "Shown on the delivered list, so targets can see where signers live (optional).",
    "updates_opt_in": "Whether you asked for news of the campaign.",
    "updates_confirmed_at": "When you confirmed, from your mailbox, that you want news of the campaign.",
    "consent_at": "When you agreed to the privacy notice: our record of your consent.",
    "source": "Which link or campaign brought you to the petition (no personal data).",
    "created_at": "When you signed.",
    "status": "Whether your signature counts (confirmed), awaits confirmation (pending) or was invalidated.",
    "confirmed_at": "When you confirmed your signature from your mailbox.",
    "expires_at": "When an unconfirmed signature is deleted automatically.",
    "mail_requested": "How many confirmation emails were asked for (to limit them).",
    "mail_sent": "How many confirmation emails were sent (so none is sent twice).",
    "resent_at": "When confirmation emails were re-sent in the last day (to limit them).",
    "updates_mail_requested": "How many emails confirming your wish for news were asked for.",
    "updates_mail_sent": "How many of those were sent (so none is sent twice).",
    "erase_link_at": "When we last emailed you a link to remove your signature (to limit them).",
}
INTERNAL = {"signature_key", "petition_id"}


def _plain(value: dict) -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer().deserialize(value)
    if isinstance(plain, list):
        return [int(v) if hasattr(v, "to_integral_value") else v for v in plain]
    return int(plain) if hasattr(plain, "to_integral_value") else plain


def signer_data(email: str) -> dict[str, Any]:
    """Everything held for the address across petitions, as a JSON-ready report."""
    secret = canonical_email.hash_secret()
    client, table = clients.dynamodb_for_jobs(), config.settings().signatures_table
    found = []
    for petition in store.every():
        key = canonical_email.signature_key(petition.petition_id, email, secret)
        item = client.get_item(TableName=table, Key={"signature_key": {"S": key}}, ConsistentRead=True).get("Item")
        if not item:
            continue
        fields = {name: {"value": _plain(value), "purpose": PURPOSES.get(name, "Kept with your signature.")}
                  for name, value in sorted(item.items()) if name not in INTERNAL}
        found.append({"petition_id": petition.petition_id, "petition_title": petition.title, "fields": fields})
    return {
        "requested_for": email,
        "found_by": "a keyed hash of the canonical address (lower case, no +tag, Gmail dots ignored), per petition",
        "generated_at": clock.stamp(),
        "signatures": found,
        "not_held": "No IP address, browser details or location beyond the country and postcode given. Erasure "
                    "records keep only the petition, the time and how it was asked for.",
    }
