"""The extension's manifest and sources, checked without a browser.

Manifest V3 keys, the smallest set of permissions, no remote code, every referenced file
present, and ESLint clean (when `npm ci` has been run in extension/).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXTENSION = REPO_ROOT / "extension"
MANIFEST = json.loads((EXTENSION / "manifest.json").read_text())

ALLOWED_PERMISSIONS = {"activeTab", "scripting", "storage"}
LOOPBACK_HOSTS = {"http://127.0.0.1/*", "http://localhost/*"}
# Code the extension ships and the browser runs; node_modules and the icon tool are not shipped code.
SHIPPED_SOURCES = sorted(
    path
    for pattern in ("*.js", "*.html", "lib/*.js", "content/*.js")
    for path in EXTENSION.glob(pattern)
    if path.name != "eslint.config.js"
)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_version_3_with_a_service_worker_popup_and_options() -> None:
    assert MANIFEST["manifest_version"] == 3
    for key in ("name", "version", "description", "action", "background", "icons", "options_ui"):
        assert key in MANIFEST, key
    assert re.fullmatch(r"\d+(\.\d+){0,3}", MANIFEST["version"])
    assert len(MANIFEST["description"]) <= 132, "the Chrome Web Store cuts descriptions at 132 characters"
    background = MANIFEST["background"]
    assert background["service_worker"] == "background.js"
    assert background["type"] == "module"
    # Firefox runs background.scripts; Chrome (121+) runs the service worker and ignores them.
    assert background["scripts"] == ["background.js"]
    assert "gecko" in MANIFEST["browser_specific_settings"]
    for path in (
        background["service_worker"],
        MANIFEST["action"]["default_popup"],
        MANIFEST["options_ui"]["page"],
    ):
        assert (EXTENSION / path).is_file(), path


def test_manifest_asks_for_the_smallest_set_of_permissions() -> None:
    assert set(MANIFEST["permissions"]) <= ALLOWED_PERMISSIONS
    # The local server only; every site is optional and asked for one at a time.
    assert set(MANIFEST["host_permissions"]) <= LOOPBACK_HOSTS
    assert set(MANIFEST["optional_host_permissions"]) <= {"https://*/*", "http://*/*"}
    assert "content_scripts" not in MANIFEST, (
        "scripts are injected on a click, or registered per allowed site"
    )
    assert "web_accessible_resources" not in MANIFEST
    assert "externally_connectable" not in MANIFEST


def test_manifest_allows_no_remote_or_evaluated_code() -> None:
    policy = MANIFEST["content_security_policy"]["extension_pages"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy and "http" not in policy
    assert "update_url" not in MANIFEST


@pytest.mark.parametrize("size", ["16", "32", "48", "128"])
def test_manifest_icons_exist_at_their_declared_size(size: str) -> None:
    path = EXTENSION / MANIFEST["icons"][size]
    assert _png_size(path) == (int(size), int(size))
    for declared in MANIFEST["action"]["default_icon"].values():
        assert (EXTENSION / declared).is_file()


@pytest.mark.parametrize("path", SHIPPED_SOURCES, ids=lambda p: str(p.relative_to(EXTENSION)))
def test_extension_source_loads_no_remote_code(path: Path) -> None:
    source = path.read_text()
    assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|importScripts\s*\(", source)
    assert not re.search(r"""\bimport\s*\(?\s*["']https?:""", source)
    assert not re.search(r"""<script[^>]+src=["']?(https?:)?//""", source, re.I)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source, re.I), "inline <script> (CSP forbids it)"
    assert not re.search(r"""<link[^>]+href=["']?(https?:)?//""", source, re.I), "remote stylesheet"
    # No analytics and no third parties: the only network calls go to the configured server.
    assert not re.search(r"google-analytics|googletagmanager|sentry|mixpanel|segment\.io", source, re.I)


def test_extension_html_references_only_files_that_exist() -> None:
    for page in EXTENSION.glob("*.html"):
        for ref in re.findall(r"""(?:src|href)=["']([^"'#?]+)""", page.read_text()):
            if not re.match(r"[a-z]+:", ref):
                assert (EXTENSION / ref).is_file(), f"{page.name} -> {ref}"


def test_service_worker_injects_content_scripts_that_exist() -> None:
    source = (EXTENSION / "background.js").read_text()
    files = json.loads(re.search(r"CONTENT_FILES = (\[[^\]]*\])", source).group(1))
    assert files[-1] == "content/content.js", "content.js uses the modules loaded before it"
    for name in [*files, "content/auto.js"]:
        assert (EXTENSION / name).is_file(), name


def test_extension_node_modules_are_ignored_and_the_lockfile_is_committed() -> None:
    package = json.loads((EXTENSION / "package.json").read_text())
    assert "eslint" in package["devDependencies"]
    assert (EXTENSION / "package-lock.json").is_file()
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "extension/node_modules/" in ignored


def test_extension_passes_eslint() -> None:
    eslint = EXTENSION / "node_modules" / ".bin" / "eslint"
    if not eslint.exists() or shutil.which("node") is None:
        pytest.skip("run `npm ci` in extension/ to lint the JavaScript")
    result = subprocess.run(
        [str(eslint), "--max-warnings", "0", "."], cwd=EXTENSION, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
