"""The page's theme: Gradio's default look, with font faces whose files hold every letter.

Why: the default theme declares Source Sans Pro at weights 400 and 600 (and IBM Plex Mono at
400 and 600), but the SemiBold files Gradio ships are subsets of a few dozen glyphs
(SourceSansPro-SemiBold.woff2 has A and B and no other letter). Bold text (headings, titles,
`<strong>`) then took A and B from that face and every other letter from the fallback system
font, so "Ask the news" showed a thin A. The Regular and Bold files are complete, so we declare
400 and 700: bold text matches the Bold face, which covers everything it needs.
"""

from __future__ import annotations

import gradio as gr
from gradio.themes.utils import fonts

WEIGHTS = (400, 700)


def theme() -> gr.themes.Base:
    return gr.themes.Default(
        font=(fonts.LocalFont("Source Sans Pro", weights=WEIGHTS), "ui-sans-serif", "system-ui", "sans-serif"),
        font_mono=(fonts.LocalFont("IBM Plex Mono", weights=WEIGHTS), "ui-monospace", "Consolas", "monospace"),
    )
