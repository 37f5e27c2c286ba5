"""The admin area: sign-in by mailed link, sessions and CSRF, the petition pages and their panels, the JSON API.

Every admin action is written to the audit trail (chalicelib/audit) and answered ``no-store``.
"""
