"""Test-wide settings: property-based tests draw the same examples on every run
(derandomize), so that CI is reproducible and a failure seen once is seen again."""

from hypothesis import settings

settings.register_profile("torchlet", derandomize=True, deadline=None)
settings.load_profile("torchlet")
