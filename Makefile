# Contributors and CI run the same commands.
.PHONY: dev lint dogfood reformat test coverage rules-docs bench

dev:
	python -m pip install -U "pip>=25.1"
	python -m pip install -e . --group dev

lint:
	ruff format --check auditor tests benchmarks scripts
	ruff check auditor tests benchmarks scripts
	mypy
	python scripts/gen_rules_index.py --check

# Auditor's own import hygiene: fails on any AUD5xx finding, never on the network being offline.
dogfood:
	python -m auditor scan . --offline --enable AUD5 --fail-on low --allow-incomplete

reformat:
	ruff format auditor tests benchmarks scripts
	ruff check --fix auditor tests benchmarks scripts

test:
	python -m pytest

# Branch coverage of auditor/ (fails under [tool.coverage.report] fail_under).
coverage:
	python -m pytest --cov --cov-report=term-missing

rules-docs:
	python scripts/gen_rules_index.py

bench:
	python benchmarks/run.py
