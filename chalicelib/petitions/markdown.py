"""A petition's body: Markdown in, safe HTML out.

markdown-it-py parses CommonMark with raw HTML switched off (it is shown as
text), and nh3 (Rust's ammonia) then keeps only the tags a campaign text
needs, with only web and mail links. Two layers on purpose: the parser is
not a sanitiser, and the sanitiser alone would let Markdown build what it
removes from HTML. Headings move down one level, since the page's own title
is the only ``h1``.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from chalicelib.aws import caches

MAX_CHARACTERS = 20_000

ALLOWED_TAGS = {"h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "a", "strong", "em",
                "blockquote", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


@caches.shipped
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable("image")  # the petition has its own image field; a body loads nothing from elsewhere

    def heading(renderer, tokens, index, options, env):
        token = tokens[index]
        token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
        return renderer.renderToken(tokens, index, options, env)

    parser.add_render_rule("heading_open", heading)
    parser.add_render_rule("heading_close", heading)
    return parser


def to_html(text: str | None) -> Markup:
    """The body as HTML that is safe to put in a page as it is."""
    if not text:
        return Markup("")
    raw = _parser().render(text)
    clean = nh3.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", strip_comments=True)
    return Markup(clean)  # noqa: S704 (sanitised just above)
