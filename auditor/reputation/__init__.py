"""Package reputation: popular-package list, typosquat matching, deprecated and stdlib names."""
