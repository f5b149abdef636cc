"""Make a folium page work with no network: its JavaScript and CSS inlined from the XStatic packages.

folium renders ``<script src="https://cdn...">`` and ``<link href="https://cdn...">`` tags. The libraries come
instead from PyPI packages installed with the project (xstatic-leaflet, -jquery, -bootstrap, -d3) and are
inlined, so ``map.html`` is one self-contained file. Font and icon stylesheets used only by markers
(awesome-markers, glyphicons, Font Awesome) are dropped; any other remote script or stylesheet is an error, so
that a map never silently depends on the network.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import import_module
from pathlib import Path

from spatial_poverty.errors import ExportError

__all__ = ["inline_assets", "remote_references"]

# (pattern on the remote URL's file name, xstatic module, file under its BASE_DIR)
_SCRIPTS = (
    (re.compile(r"^leaflet(\.min)?\.js$"), "xstatic.pkg.leaflet", "leaflet.js"),
    (re.compile(r"^jquery-?[\d.]*(\.min)?\.js$"), "xstatic.pkg.jquery", "jquery.min.js"),
    (
        re.compile(r"^bootstrap(\.bundle)?(\.min)?\.js$"),
        "xstatic.pkg.bootstrap",
        "js/bootstrap.bundle.min.js",
    ),
    (re.compile(r"^d3(\.v3)?(\.min)?\.js$"), "xstatic.pkg.d3", "d3.js"),
)
_STYLES = (
    (re.compile(r"^leaflet(\.min)?\.css$"), "xstatic.pkg.leaflet", "leaflet.css"),
    (re.compile(r"^bootstrap(\.min)?\.css$"), "xstatic.pkg.bootstrap", "css/bootstrap.min.css"),
)
# Only used by marker icons, which our maps do not draw.
_DROPPABLE = re.compile(
    r"(leaflet\.awesome-markers\.(js|css)|bootstrap-glyphicons\.css|fontawesome-free.*/all(\.min)?\.css|"
    r"leaflet\.awesome\.rotate(\.min)?\.css)$"
)
_SCRIPT_TAG = re.compile(r"<script\s+src=\"(?P<url>https?://[^\"]+)\"\s*>\s*</script>")
_LINK_TAG = re.compile(r"<link\s+rel=\"stylesheet\"\s+href=\"(?P<url>https?://[^\"]+)\"\s*/?>")
_ANY_REMOTE = re.compile(
    r"<script[^>]+src=[\"']?(?:https?:)?//[^>]*>|<link[^>]+href=[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE
)


@cache
def _asset(module: str, name: str) -> str:
    base = Path(import_module(module).BASE_DIR)  # type: ignore[attr-defined]
    text = (base / name).read_text(encoding="utf-8")
    if name == "leaflet.css":
        text = _inline_images(text, base)
    return text


def _inline_images(css: str, base: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        data = base64.b64encode((base / m.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", repl, css)


def _lookup(url: str, table: tuple[tuple[re.Pattern[str], str, str], ...]) -> str | None:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    for pattern, module, file in table:
        if pattern.match(name):
            return _asset(module, file)
    return None


def remote_references(html: str) -> list[str]:
    """Every ``<script src>`` or stylesheet ``<link href>`` in ``html`` that points to the network."""
    return _ANY_REMOTE.findall(html)


def inline_assets(html: str) -> str:
    """Replace folium's CDN scripts and stylesheets by the XStatic packages' files, inlined.

    Raises
    ------
    ExportError
        If a remote script or stylesheet is neither known nor droppable, or one remains after inlining.
    """
    unknown: list[str] = []

    def script(m: re.Match[str]) -> str:
        url = m.group("url")
        body = _lookup(url, _SCRIPTS)
        if body is None:
            if _DROPPABLE.search(url):
                return ""
            unknown.append(url)
            return m.group(0)
        return "<script>\n" + body.replace("</script", "<\\/script") + "\n</script>"

    def style(m: re.Match[str]) -> str:
        url = m.group("url")
        body = _lookup(url, _STYLES)
        if body is None:
            if _DROPPABLE.search(url):
                return ""
            unknown.append(url)
            return m.group(0)
        return "<style>\n" + body.replace("</style", "<\\/style") + "\n</style>"

    out = _SCRIPT_TAG.sub(script, html)
    out = _LINK_TAG.sub(style, out)
    left = remote_references(out)
    if unknown or left:
        raise ExportError(f"the map would need the network for: {sorted(set(unknown) | set(left))}")
    return out
