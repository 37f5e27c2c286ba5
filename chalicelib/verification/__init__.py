"""Verified signatures: email double opt-in, per petition.

A petition with ``require_verification`` stores each new signature as
``pending`` (still one conditional write). A second consumer of the
signatures stream (``mailer``) claims and sends one message per requested
mail, with a link carrying a signed, expiring token (``tokens``). The link's
page shows one button; its POST confirms with a conditional update
``pending -> confirmed`` (``confirm``), and the stream tally counts that
MODIFY like any confirmed signature. Signing again while pending asks for
the link again, at most ``RESENDS_PER_DAY`` times a day (``pending``).
Unconfirmed signatures carry a TTL attribute and expire.
"""
