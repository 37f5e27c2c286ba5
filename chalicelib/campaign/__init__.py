"""The campaign page's content: a petition's asks, body, image, organiser, featured country and targets.

- ``markdown``: the body from Markdown to sanitised HTML;
- ``rules``: what each field may hold (admin form, admin API and ``make petition`` alike);
- ``targets``: which countries reached their target;
- ``store``: reading and writing petitions as the campaign team changes them (drafts included, uncached).
"""
