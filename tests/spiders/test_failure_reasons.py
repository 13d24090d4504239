"""The French reasons of fetches that failed for good, as a watch officer reads them."""

from __future__ import annotations

from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from veilleuse.spiders.base import failure_reason


class CannotResolveHostError(Exception):
    """Stands for the exception newer Scrapy/Twisted stacks raise on an unknown host name
    (seen offline on this machine: "CannotResolveHostError: DNS lookup failed")."""


def test_an_unknown_host_is_a_dns_failure_whatever_the_exception_class() -> None:
    assert failure_reason(Failure(DNSLookupError("x"))) == "nom de domaine introuvable (DNS)"
    unknown = Failure(CannotResolveHostError("DNS lookup failed: no results for hostname"))
    assert failure_reason(unknown) == "nom de domaine introuvable (DNS)"


def test_another_exception_keeps_its_name() -> None:
    assert failure_reason(Failure(ValueError("boom"))) == (
        "échec du téléchargement : ValueError: boom"
    )
