# The two commands a new user needs (see README.md):
#   make run    runs the baseline scenario and prints its summary
#   make test   runs the whole test suite
# Both set up the locked environment on first use (scripts/uvrun).
.PHONY: run test lint bench

run:
	scripts/uvrun csto run baseline-2022 --force

test:
	scripts/uvrun pytest -n 2

lint:
	scripts/uvrun ruff check sim tests benchmarks scripts
	scripts/uvrun ruff format --check sim tests benchmarks scripts
	scripts/uvrun mypy

bench:
	scripts/uvrun python benchmarks/sweep.py
