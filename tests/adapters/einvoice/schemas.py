"""The XSDs of the e-invoice format versions (``xsd/``, written from the field tables) and the golden documents.

Each XSD names its source in its opening comment: Quyết định 1450/QĐ-TCT for 2.0.0, the tax authority's
update for Decree 70/2025/NĐ-CP for 2.1.0. They are XSD 1.1 (for the assertions of rule I4 and of the
related-invoice block), validated with ``xmlschema``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import xmlschema

from subscription_core_adapters.einvoice import FormatVersion

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


@functools.cache
def schema(version: FormatVersion) -> xmlschema.XMLSchema11:
    """The XSD of ``version``, loaded once."""
    return xmlschema.XMLSchema11(HERE / "xsd" / f"hdon-{version.value}.xsd")


def problems(document: bytes, version: FormatVersion) -> list[str]:
    """What the XSD of ``version`` finds wrong with ``document``: nothing for a valid one."""
    return [str(error.reason) for error in schema(version).iter_errors(document.decode("utf-8"))]


def golden_path(case: str, version: FormatVersion) -> Path:
    """The golden document of ``case`` in ``version``."""
    return GOLDEN / f"{case}-{version.value}.xml"
