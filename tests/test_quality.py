"""The data-quality report: CSV, HTML and log table; and the South Aegean run's report."""

from __future__ import annotations

import csv
import logging

import pytest

from spatial_poverty.harmonise.quality import QualityReport


def test_report_files_and_log(tmp_path, caplog):
    q = QualityReport()
    q.add("a.json", "rows joined", rows_read=10, matched=9, unmatched=["9901 excluded: Mount Athos"])
    q.add("b.xls", "values", out_of_range=2, duplicates=1, suppressed=3, detail="<script>x</script> Κουμαριάς")
    q.write_csv(tmp_path / "q.csv")
    q.write_html(tmp_path / "q.html", title="Ποιότητα")
    with (tmp_path / "q.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["unmatched"] == "9901 excluded: Mount Athos" and rows[0]["matched"] == "9"
    assert rows[1]["out_of_range"] == "2" and rows[1]["suppressed"] == "3"
    page = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and "<script>" not in page and "Κουμαριάς" in page
    with caplog.at_level(logging.INFO, logger="spatial_poverty"):
        q.log_table()
    assert sum("data quality:" in r.getMessage() for r in caplog.records) == 3


@pytest.mark.slow
def test_south_aegean_run_reports_quality(south_aegean_run):
    with (south_aegean_run / "quality.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["rows_read"] == "333" and "9901" in rows[0]["unmatched"]
    assert (south_aegean_run / "quality.html").is_file()
