"""axe-core in the page: WCAG 2.2 AA violations, as a browser test sees them.

axe-core comes from npm as a pinned, sha256-checked tarball (tools.npm_pack)
and evaluated in the page under test; nothing is installed.
"""
from __future__ import annotations

from pathlib import Path

from tools import npm_pack

PACKAGE = "axe-core"
VERSION = "4.14.1"
TARBALL_SHA256 = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_script() -> Path:
    folder = npm_pack.fetch(PACKAGE, VERSION, TARBALL_SHA256, ".", npm_pack.CACHE / "axe-core" / VERSION,
                            what="axe-core")
    return folder / "axe.min.js"


def violations(page) -> list[str]:
    """Every WCAG 2.2 A/AA rule the page breaks, one line each (empty when it passes)."""
    # Evaluated through the DevTools protocol: a <script> tag would be inline script, which the
    # pages' Content-Security-Policy refuses.
    page.evaluate(axe_script().read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(n['target'][0] for n in v['nodes'][:3])}"
            for v in result["violations"]]
