"""Lazy public names resolve to the submodule's object and unknown names raise AttributeError."""

import pytest

import smlib.attribution
import smlib.causal
import smlib.report
from smlib._lazy import lazy_getattr


def test_every_listed_name_resolves() -> None:
    for pkg in (smlib.attribution, smlib.causal, smlib.report):
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None, f"{pkg.__name__}.{name}"


def test_unknown_name_raises_attribute_error() -> None:
    getter = lazy_getattr("smlib.causal", {"twfe_did": "twfe"})
    assert getter("twfe_did").__name__ == "twfe_did"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        getter("nope")
