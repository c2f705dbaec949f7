# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest deploy-checks security-checks web bench clean lock difftest fuzz soak

# Development and CI install from the dev lock (hashes, every Python from 3.11), then the
# project itself without dependencies; the image installs from the runtime lock.
$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Re-resolve both locks after a change of pyproject.toml's dependencies.
#   runtime.lock: the image (CPython 3.12, x86_64 Linux, no extras)
#   dev.lock:     development and CI (dev and local extras, any platform, Python >= 3.11)
lock:
	@command -v uv >/dev/null 2>&1 || [ -x $(BIN)/uv ] || { echo "make lock needs uv (pip install uv)"; exit 1; }
	$$(command -v $(BIN)/uv || command -v uv) pip compile pyproject.toml --quiet --generate-hashes \
	  --python-version 3.12 --python-platform x86_64-manylinux_2_28 -o requirements/runtime.lock
	$$(command -v $(BIN)/uv || command -v uv) pip compile pyproject.toml --quiet --generate-hashes \
	  --extra dev --universal --python-version 3.11 -o requirements/dev.lock

# Builds the web board when Node.js is there and the build is missing or stale.
web:
	@if [ -f web/package.json ] && command -v npm >/dev/null 2>&1; then \
	  if [ ! -f web/dist/index.html ] || [ -n "$$(find web/src web/index.html web/package.json -newer web/dist/index.html 2>/dev/null | head -1)" ]; then \
	    (cd web && npm ci --no-audit --no-fund && npm run build); \
	  fi; \
	elif [ -f web/package.json ]; then echo "Node.js not found: serving the API without the web board"; fi

run: $(STAMP) web
	$(BIN)/taskboard serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy taskboard schema resolvers models auth notify

pytest: $(STAMP)
	$(BIN)/pytest

deploy-checks:
	bash .ci/deploy-checks.sh

security-checks:
	bash .ci/security-checks.sh

test: lint typecheck pytest deploy-checks security-checks

# Compiled execution against graphql-core on many generated queries (make test runs 150 per database).
difftest: $(STAMP)
	TASKBOARD_DIFFTEST_EXAMPLES=$${TASKBOARD_DIFFTEST_EXAMPLES:-3000} TASKBOARD_DIFFTEST_RANDOM=1 \
	  $(BIN)/pytest tests/unit/test_compiled_differential.py -q -p no:cacheprovider --timeout=3600

# The robustness suite at full size (make test: 300 fuzz query documents, 40 pagination task sets).
fuzz: $(STAMP)
	TASKBOARD_TEST_FUZZ_QUERIES=$${TASKBOARD_TEST_FUZZ_QUERIES:-1000} \
	  TASKBOARD_TEST_PAGINATION_EXAMPLES=$${TASKBOARD_TEST_PAGINATION_EXAMPLES:-100} \
	  $(BIN)/pytest tests/robust -q -p no:cacheprovider

# The soak test under load for 150 s (make test: 35 s); bench/soak/soak.py is the long one.
soak: $(STAMP)
	TASKBOARD_TEST_SOAK_DURATION=$${TASKBOARD_TEST_SOAK_DURATION:-150} \
	  $(BIN)/pytest tests/soak -q -p no:cacheprovider -s

# Every workload of bench/README.md's results, in its order (about 100 minutes: the callgrind counts take a third).
bench: $(STAMP)
	$(BIN)/python bench/run.py --rounds 3 --workloads read --peers ours,ours@390d58b,mercurius
	$(BIN)/python bench/run.py --rounds 3 --workloads read --peers ours,ours@2d64ccc,mercurius --cache off --skip-setup
	$(BIN)/python bench/run.py --rounds 3 --workloads queries --peers ours,ours@2d64ccc --cache off --skip-setup
	$(BIN)/python bench/run.py --rounds 3 --workloads fanout --fanout-n 5000 --peers ours,mercurius --skip-setup
	$(BIN)/python bench/instructions.py --rev b408ffd --skip-setup
	$(BIN)/python bench/instructions.py --cache on --rev b408ffd --rev 390d58b --skip-setup
	$(BIN)/python bench/run.py --rounds 3 --workloads mixed --peers ours,mercurius --skip-setup
	$(BIN)/python bench/mutations.py --n 1000 --rounds 5

clean:
	rm -rf $(VENV) .cache web/dist web/node_modules taskboard.db*
