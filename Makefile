# The two commands a newcomer needs:
#   make run    set everything up and serve the app with demo data on http://127.0.0.1:8000
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test setup install browser demo check lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference_data

# Demo only: accounts for each role, the plan's first two years open for progress entries,
# the FY2025 annual returns round with returns in every state, and last year's meetings, a few
# dozen fictional organisations and FY2024 progress in every state.
demo: setup
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py start_progress_year --year 2024
	$(BIN)/python manage.py start_progress_year --year 2025
	$(BIN)/python manage.py create_demo_returns
	$(BIN)/python manage.py create_demo_meetings

run: demo
	$(BIN)/python manage.py runserver $(HOST)

# Browser tests drive Debian's chromium; install it (and Japanese fonts) when we can.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests…"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "!!! Could not install chromium: browser tests will be SKIPPED (they FAIL under CI=true)."; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
		|| echo "!!! Could not install chromium: browser tests will be SKIPPED (they FAIL under CI=true)."; \
	else \
		echo "!!! chromium is not installed and cannot be installed here (need root or sudo):"; \
		echo "!!! browser tests will be SKIPPED. Install it with: sudo apt-get install chromium fonts-noto-cjk"; \
	fi

test: install browser
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# What `manage.py check --deploy` says with production-like settings.
check: install
	DJANGO_ENV=production DEBUG=false \
	SECRET_KEY=ci-only-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') \
	ALLOWED_HOSTS=plan.example.metro.tokyo.lg.jp \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# The benchmark (docs/benchmarks.md): Tokyo, ten-fold and national size on SQLite and on the
# PostgreSQL at 127.0.0.1:5432 (a `bench` database, created and dropped), then the deadline-day
# load test. BENCH_ARGS=--quick for a short run (Tokyo size, SQLite only, no load test).
BENCH_ARGS ?= --sizes tokyo,x10,national --databases sqlite,postgres
bench: install
	$(BIN)/python -m tests.benchmark.run $(BENCH_ARGS)
	@case "$(BENCH_ARGS)" in *--quick*) ;; *) $(BIN)/python -m tests.benchmark.loadtest ;; esac
