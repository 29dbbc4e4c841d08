"""The benchmark (issue 13): synthetic data at Tokyo, ten-fold and national size, each main page
timed beside its raw-SQL floor, the admin changelist and a plain import-export workbook, and a
deadline-day load test. Not collected by pytest (no file here starts with test_); run through
`make bench` / `make loadtest`, see docs/benchmarks.md."""
