"""HTML pages, rendered with Jinja2 (autoescaping on)."""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from . import countries


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("chalicelib", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda n: f"{int(n or 0):,}"
    return env


def render(template: str, **context) -> str:
    return _env().get_template(template).render(**context)


def sign_page(petition: dict, prefix: str, *, fields: dict | None = None,
              errors: dict | None = None, country: str | None = None, total: int | None = None) -> str:
    fields = fields or {}
    return render(
        "sign.html",
        petition=petition,
        prefix=prefix,
        fields={k: v for k, v in fields.items() if isinstance(v, str)},
        errors=errors or {},
        countries=countries.names(),
        selected_country=(fields.get("country") if isinstance(fields.get("country"), str) else None) or country,
        total=total,
    )
