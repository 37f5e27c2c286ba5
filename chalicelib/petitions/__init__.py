"""Petitions: what the public reads of them, and how the campaign team changes them.

- ``catalog``: the published petitions, cached per container (look-ups, the public view, targets, translations);
- ``store``: reading and writing petitions as the campaign team changes them (drafts included, uncached);
- ``rules``: what each field may hold (admin form, admin API and ``make petition`` alike);
- ``markdown``: the body from Markdown to sanitised HTML;
- ``targets``: which countries reached their target.
"""
