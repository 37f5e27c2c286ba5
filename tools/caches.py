"""Forget what the app's code caches per container, after changing its environment in process.

Tests, benchmarks and the local tools call ``reset_caches`` from here. Every
cache in chalicelib registers itself where it is made (chalicelib/aws/caches.py),
so there is no list of them to keep here.
"""
from __future__ import annotations

from chalicelib.aws.caches import reset_caches

__all__ = ["reset_caches"]
