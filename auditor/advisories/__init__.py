"""Advisories: parsed OSV records, the sources that find them (API, offline store), matching.

* `advisory`: an OSV record parsed once into a frozen `Advisory` (key-path errors);
* `service`: the `AdvisorySource` boundary, its implementations and the registry;
* `lookup`: a run's lookup (`resolve_advisories`), gathered into `AdvisoryFacts`;
* `matching` / `severity` / `evidence`: range evaluation, scores, finding evidence;
* `client` / `store` / `importer`: the OSV API, the offline store and what fills it.
"""
