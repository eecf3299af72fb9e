"""Package index client: project metadata, releases, existence."""
