"""The HTML dashboard opened in headless Chromium, offline: charts drawn, no JavaScript errors.

The page records uncaught errors in ``data-js-errors`` and the number of charts plotly drew in
``data-charts-rendered`` on ``<html>`` (see :mod:`results.html`); ``--dump-dom`` prints the DOM
after scripts ran. Chromium runs with no network at all (every host resolves to nothing, no
proxy reachable), so a chart that needed a CDN would not render.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest

from results.html import _ERROR_COLLECTOR, write_report

pytestmark = pytest.mark.browser

WINDOW = (1400, 3000)


def _chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--virtual-time-budget=20000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def _root_attrs(dom: str) -> dict[str, str]:
    match = re.search(r"<html([^>]*)>", dom)
    assert match, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", ["toy-baseline", "toy-coefficients"])
def test_charts_render_offline_without_errors(
    studies_db: str, tmp_path: Path, chromium_path: str, name: str
) -> None:
    page = write_report(studies_db, name, tmp_path / f"{name}.html")
    result = _chromium(chromium_path, tmp_path, "--dump-dom", page.resolve().as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    attrs = _root_attrs(result.stdout)
    assert attrs.get("data-js-errors") == "0", attrs.get("data-js-error-text")
    expected = int(attrs["data-charts-expected"])
    assert expected >= 3
    assert attrs.get("data-charts-rendered") == str(expected)
    assert result.stdout.count('class="plot-container plotly"') == expected
    assert result.stdout.count('class="main-svg"') >= expected


def test_screenshot_is_a_non_trivial_png(studies_db: str, tmp_path: Path, chromium_path: str) -> None:
    page = write_report(studies_db, "toy-baseline", tmp_path / "report.html")
    shot = tmp_path / "dashboard.png"
    result = _chromium(
        chromium_path,
        tmp_path,
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={shot}",
        page.resolve().as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _png_size(shot) == WINDOW
    assert shot.stat().st_size > 100_000  # a blank page of this size compresses to a few KB


def test_the_error_collector_sees_errors(tmp_path: Path, chromium_path: str) -> None:
    """Control: a page that throws is reported, so "0 errors" above means something."""
    page = tmp_path / "broken.html"
    page.write_text(
        f"<html><head><script>{_ERROR_COLLECTOR}</script></head><body><script>undefinedCall();</script></body></html>"
    )
    result = _chromium(chromium_path, tmp_path, "--dump-dom", page.as_uri())
    attrs = _root_attrs(result.stdout)
    assert attrs.get("data-js-errors") == "1"
    assert "undefinedCall" in attrs.get("data-js-error-text", "")


@pytest.mark.parametrize(
    ("db", "name"),
    [("studies_db", "toy-baseline"), ("studies_db", "toy-coefficients"), ("sweep_db", "toy-sweep")],
)
def test_no_horizontal_scroll_at_1400_px(
    request: pytest.FixtureRequest, tmp_path: Path, chromium_path: str, db: str, name: str
) -> None:
    """Every line wraps inside a 1400 px window: arch codes, settings, the header, the tables."""
    page = write_report(request.getfixturevalue(db), name, tmp_path / f"{name}.html")
    result = _chromium(chromium_path, tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom",
                       page.resolve().as_uri())  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    attrs = _root_attrs(result.stdout)
    assert attrs.get("data-js-errors") == "0", attrs.get("data-js-error-text")
    viewport, width = int(attrs["data-viewport-width"]), int(attrs["data-scroll-width"])
    assert viewport == WINDOW[0]
    assert width <= viewport, f"{name}: the page is {width} px wide in a {viewport} px window"


def test_long_unbroken_names_wrap_too(tmp_path: Path, chromium_path: str) -> None:
    """A long study name, storage path and dataset (no spaces to break at) still fit the window."""
    from tests.study_fixtures import build_tiny_study

    folder = tmp_path / ("d" * 150)
    folder.mkdir()
    url = f"sqlite:///{folder}/effsearch.db"
    name = "baseline-400M-imagefolder-" + "x" * 160
    study = build_tiny_study(url, name)
    settings = {"dataset": "imagefolder:/data/" + "y" * 200, "target_flops": 400_000_000}
    study.set_user_attr("settings", settings)
    page = write_report(url, name, tmp_path / "long.html")
    result = _chromium(chromium_path, tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom",
                       page.resolve().as_uri())  # fmt: skip
    attrs = _root_attrs(result.stdout)
    assert int(attrs["data-scroll-width"]) <= int(attrs["data-viewport-width"]) == WINDOW[0]
