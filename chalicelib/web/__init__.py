"""Web plumbing every feature's routes share: the blueprint helper, reading bodies, responses, rendering pages,
security headers and who may frame a page, the origin guard behind the CDN, and the 503 for storage outages."""
