"""``check-catalog``, ``quote`` and ``dead-letters``: a catalog file checked, a purchase priced, dead notices.

``quote`` prices a catalog file alone (no promotion book: every ``--code`` is refused as unknown, and said
so) or, with ``--app``, against the host's stored promotion book and its redemption counts, as a visitor's
quote on the web would be (P1-P9).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Final

import attrs
import click

from subscription_core.calendar import VIETNAM_TZ, local_date
from subscription_core.catalog import Catalog
from subscription_core.catalog_files import load_catalog
from subscription_core.customers import Actor
from subscription_core.errors import CatalogError
from subscription_core.pricing import quote as price_quote
from subscription_core.promotions import PurchaseKind
from subscription_core.quotes import AddonSelection, PlanSelection, Quote, Selection
from subscription_core.services import dead_notices, requeue_notice
from subscription_core.services.ordering import price
from subscription_core_adapters.cli.app import REFUSED, Config, app_option
from subscription_core_adapters.cli.render import console, dead_letters_table, quote_tables
from subscription_core_adapters.cli.settings import ENV_STAFF
from subscription_core_adapters.local import SystemClock

__all__ = ["check_catalog", "dead_letters", "quote"]

_NOON: Final = dt.time(12, 0)


@click.command("check-catalog")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_catalog(file: Path) -> None:
    """Check a catalog file (TOML, or JSON by its name): every problem with its path; exit 1 if any."""
    try:
        catalog = load_catalog(file)
    except CatalogError as error:
        count = len(error.problems)
        click.echo(f"{file}: {count} problem{'s' if count != 1 else ''}")
        for problem in error.problems:
            click.echo(f"  {problem}")
        raise click.exceptions.Exit(REFUSED) from None
    products = len(catalog.products)
    plans = sum(len(product.plans) for product in catalog.products)
    addons = sum(len(product.addons) for product in catalog.products)
    counted = ", ".join(_count(n, what) for n, what in ((products, "product"), (plans, "plan"), (addons, "add-on")))
    click.echo(f"{file}: a valid catalog in {catalog.currency.code}: {counted}")


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _addon(text: str) -> AddonSelection:
    code, _, quantity = text.partition(":")
    if not quantity:
        return AddonSelection(addon=code)
    if not quantity.isdecimal():
        raise click.BadParameter(f"{text!r}: the quantity after ':' must be a whole number", param_hint="--addon")
    return AddonSelection(addon=code, quantity=int(quantity))


@click.command()
@app_option
@click.option("--catalog", "catalog_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", required=True, help="The plan's code.")
@click.option("--option", required=True, help="The plan's option (its term), e.g. 1y.")
@click.option("--addon", "addons", multiple=True, metavar="CODE[:QTY]", help="An add-on, repeatable.")
@click.option("--code", "codes", multiple=True, help="A promotion code, repeatable (needs --app's stored book).")
@click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Price as of this day [today, Vietnam].")
def quote(
    *,
    config: Config,
    catalog_file: Path,
    plan: str,
    option: str,
    addons: tuple[str, ...],
    codes: tuple[str, ...],
    as_of: dt.datetime | None,
) -> None:
    """Price a new purchase from a catalog file: lines, discounts, VAT per rate and the total."""
    catalog = load_catalog(catalog_file)
    selections: list[Selection] = [PlanSelection(plan=plan, option=option, ref="new")]
    selections.extend(_addon(text) for text in addons)
    day = as_of.date() if as_of is not None else None
    result = _priced(config, catalog, selections, codes, day)
    out = console()
    for table in quote_tables(result):
        out.print(table)
    if codes and not config.app:
        click.echo("(no promotion book without --app: the codes were checked against none)")


def _priced(
    config: Config, catalog: Catalog, selections: list[Selection], codes: tuple[str, ...], day: dt.date | None
) -> Quote:
    if not config.app:
        today = day if day is not None else local_date(SystemClock().now())
        return price_quote(catalog, selections, as_of=today, codes=list(codes))
    wiring = config.wiring()
    try:
        deps = attrs.evolve(wiring.services, catalog=catalog)  # the file's prices, the stored promotions
        at = dt.datetime.combine(day, _NOON, tzinfo=VIETNAM_TZ) if day is not None else deps.now()
        with deps.uow() as uow:
            return price(deps, uow, selections, purchase=PurchaseKind.NEW, codes=list(codes), holder=None, at=at).quote
    finally:
        wiring.dispose()


_staff = click.option(
    "--staff", required=True, envvar=ENV_STAFF, help=f"The staff member acting (A2) [env {ENV_STAFF}]."
)


@click.group("dead-letters")
def dead_letters() -> None:
    """The notices the relay gave up (N2): list them, requeue one once its cause is fixed."""


@dead_letters.command("list")
@app_option
@_staff
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def list_dead(*, config: Config, staff: str, limit: int) -> None:
    """List the dead notices, the longest dead first (no recipient is shown)."""
    wiring = config.wiring()
    try:
        letters = dead_notices(wiring.services, Actor.staff(staff), limit=limit)
    finally:
        wiring.dispose()
    if not letters:
        click.echo("no dead notices")
        return
    console().print(dead_letters_table(letters))


@dead_letters.command("requeue")
@app_option
@_staff
@click.argument("message_id")
@click.option("--reason", required=True, help="Why it can be sent now (what was fixed), for the log (A2).")
@click.option("--idempotency-key", help="Repeat a requeue safely with the same key [a new one each run].")
def requeue(*, config: Config, staff: str, message_id: str, reason: str, idempotency_key: str | None) -> None:
    """Make a dead notice pending again: the next relay run sends it, under its same id."""
    wiring = config.wiring()
    try:
        key = idempotency_key or f"cli-requeue-{uuid.uuid4()}"
        done = requeue_notice(
            wiring.services, Actor.staff(staff), message_id=message_id, reason=reason, idempotency_key=key
        )
    finally:
        wiring.dispose()
    click.echo(f"requeued {done}: the next relay run sends it")
