"""A Sphinx math renderer that writes MathML (via latex2mathml) into the page.

Browsers draw MathML themselves (Chromium since version 109, Firefox and Safari for longer),
so the pages need no MathJax from a CDN: they read the same offline, on a phone, and in
the browser test, which has no network."""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert


def visit_inline(translator, node) -> None:
    translator.body.append(convert(node.astext()))
    raise nodes.SkipNode


def visit_block(translator, node) -> None:
    latex = node.get("latex") or node.astext()
    translator.body.append(f'<div class="math-block">{convert(latex, display="block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_inline, None), (visit_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
