"""Countersign: the deployed logic; app.py registers each feature package's blueprint.

Lambda imports this package first whatever the function: the API through app.py, and the stream
consumers, the export and the retention run straight from their blueprint's module (the template's
``Handler``), without app.py. So the log level is set here: Lambda's root logger shows only warnings,
and our modules log one line per signature or batch at INFO, never personal data.
"""
import logging

logging.getLogger("chalicelib").setLevel(logging.INFO)
