"""Countersign: the deployed logic behind app.py's routes and stream handler."""
