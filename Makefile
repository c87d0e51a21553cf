# The commands a new user needs (see README.md):
#   make run    runs the baseline scenario and prints its summary
#   make test   runs the whole test suite (CI runs this, through .ci/run)
#   make check  runs the unit and property tests only: the fast loop while changing code
# All set up the locked environment on first use (scripts/uvrun).
.PHONY: run test check lint bench

run:
	scripts/uvrun csto run baseline-2022 --force

# Progress dots as tests finish, every failure at once (-ra in pyproject), the slowest tests.
test:
	scripts/uvrun pytest -n 2 --durations=15

# Without the end-to-end tests marked slow (real processes, sweeps, reports, browsers).
check:
	scripts/uvrun pytest -n 2 -m "not slow" --durations=5

lint:
	scripts/uvrun ruff check sim tests benchmarks scripts
	scripts/uvrun ruff format --check sim tests benchmarks scripts
	scripts/uvrun mypy

bench:
	scripts/uvrun python benchmarks/sweep.py
	scripts/uvrun python benchmarks/cli.py
