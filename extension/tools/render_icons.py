"""Render icons/icon.svg to the PNG sizes the manifest lists, with the system Chromium.

Run from the repository root after editing the SVG:
    .venv/bin/python extension/tools/render_icons.py
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "icons"

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page()
    svg = (ICONS / "icon.svg").read_text()
    for size in (16, 32, 48, 128):
        page.set_viewport_size({"width": size, "height": size})
        page.set_content(
            f"<style>html,body{{margin:0;background:transparent}} svg{{width:{size}px;height:{size}px;display:block}}</style>{svg}"
        )
        page.screenshot(path=ICONS / f"icon-{size}.png", omit_background=True)
    browser.close()
