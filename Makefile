# The two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup vendor documents browser lint typecheck format check-rules bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) vendor documents

# The pages' browser libraries (Apache ECharts, htmx, Swagger UI; pinned) into api/static/vendor/, once.
vendor:
	@deploy/fetch-vendor.sh

# WeasyPrint's system libraries and a CJK font, for the documents' PDFs (installed if missing).
documents: $(STAMP)
	@deploy/ensure-weasyprint.sh

# Debian's chromium (and a CJK font) for the browser tests; prints its path.
browser:
	@deploy/ensure-chromium.sh

run: setup
	OVERSIGHT_DEMO_DATA=$${OVERSIGHT_DEMO_DATA:-true} \
	OVERSIGHT_EMBEDDED_WORKERS=$${OVERSIGHT_EMBEDDED_WORKERS:-true} \
	$(BIN)/oversight serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

check-rules: setup
	$(BIN)/oversight rules check

test: setup lint typecheck check-rules
	@url=$$(deploy/ensure-postgres.sh) || exit 1; \
	chromium=$$(deploy/ensure-chromium.sh); \
	echo "PostgreSQL for tests: $$url"; \
	echo "Chromium for browser tests: $${chromium:-none, browser tests will be skipped}"; \
	OVERSIGHT_TEST_DATABASE_URL=$$url OVERSIGHT_CHROMIUM=$$chromium $(BIN)/pytest

# A synthetic province in a fresh schema, then one table of figures (docs/performance.md).
# Sizes: make bench BENCH_ARGS="--institutions 100000 --events 10000000".
bench: setup
	@url=$$(deploy/ensure-postgres.sh) || exit 1; \
	$(BIN)/oversight bench --database-url $$url $(BENCH_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache
