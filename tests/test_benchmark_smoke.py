"""The benchmark's quick mode still runs (tests.benchmark, docs/benchmarks.md): every page and the
briefing workbook are measured on two small synthetic sizes, and each page runs the same number of
queries at both. No timings are checked here: speed stays out of the test suite."""

import pytest
from django.db import transaction

from tests.benchmark.data import build
from tests.benchmark.run import markdown, measure_all, pages


@pytest.mark.django_db
def test_quick_benchmark_measures_every_page_with_the_same_queries_at_two_sizes():
    reports = {}
    for size in ("tiny", "tiny2"):
        with transaction.atomic():
            built = build(size)
            reports[size] = measure_all(built, database="sqlite", repeats=1, workbook_repeats=1)
            transaction.set_rollback(True)  # the next size starts from the reference data again

    expected = [page.name for page in pages(2025)]
    for report in reports.values():
        assert report.errors == []
        assert [page.page for page in report.pages] == expected
        assert all(page.floor.rows and page.admin.queries for page in report.pages)
        assert report.workbook.bytes and report.plain_export.bytes and report.workbook.peak_mb
    assert reports["tiny"].queries() == reports["tiny2"].queries()
    text = markdown([report.as_dict() for report in reports.values()])
    assert all(name in text for name in expected)
    assert "| NO |" not in text
