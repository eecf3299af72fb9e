"""License compliance: license facts per package version, SPDX normalization and the policy."""
