"""The one-shot study's HTML report in headless Chromium: every chart drawn (the supernet's
training curve among them), the promoted table present, no horizontal scroll at 1400 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from results.html import write_report
from tests.oneshot_fixtures import ONESHOT_STUDY
from tests.results.test_browser import WINDOW, _chromium, _root_attrs

pytestmark = pytest.mark.browser


def test_oneshot_report_renders_every_chart_and_fits_1400_px(
    oneshot_db: str, tmp_path: Path, chromium_path: str
) -> None:
    page = write_report(oneshot_db, ONESHOT_STUDY, tmp_path / "oneshot.html")
    result = _chromium(chromium_path, tmp_path, f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom",
                       page.resolve().as_uri())  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    attrs = _root_attrs(result.stdout)
    assert attrs.get("data-js-errors") == "0", attrs.get("data-js-error-text")
    expected = int(attrs["data-charts-expected"])
    assert expected >= 4  # progress, accuracy vs MACs, supernet curve, sampling, ...
    assert attrs.get("data-charts-rendered") == str(expected)
    assert result.stdout.count('class="plot-container plotly"') == expected
    assert 'id="chart-supernet"' in result.stdout and 'id="promoted"' in result.stdout
    viewport, width = int(attrs["data-viewport-width"]), int(attrs["data-scroll-width"])
    assert viewport == WINDOW[0]
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"
