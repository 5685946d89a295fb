"""Quotes per second against a plain-dict engine that does the same work by the shortest path.

The baseline (``plain_quote``) is a pricing engine written for this benchmark on plain dicts and ints: it
reads a plain-dict copy of the catalog (built once, before timing) and plain-dict promotions, and does what
``pricing.quote`` does: the catalog look-ups (plan, option, add-on, the companion plan, the VAT rate on the
day, what each line grants), the selection checks (duplicates, add-ons without their plan, quantities), the
eligibility of every promotion asked for (codes, currency, window, purchase kind, redemption limits,
minimum, targets), the winner of each place, fixed amounts before percentages, the invoice discount
allocated by largest remainder, VAT once per rate and its allocation, the bound on the total, and it
returns the same breakdown as plain dicts and ints: every line with its amounts, discounts and grant, the
VAT totals per rate, the promotions applied and refused with their reasons, the totals. Before timing, the
library's quote of each order, converted to that shape, must equal the baseline's.

Orders: no promotion; one promotion at each scope; a book of competing promotions asked for by code (with
refusals of every kind); a renewal of ten clients of one plan. Both sides are timed alike, repeats
alternated in the same run, best of ``--repeat`` (``timeit``: the collector is off for both), in CPU time
of the process by default (the machine is shared: wall-clock time counts the time other jobs hold the core).

Run: .venv/bin/python benchmarks/pricing.py [--repeat 30] [--number 150] [--clock cpu|wall]
Prints each order, then last ``ratio: X.XX`` (library time / baseline time, summed over the orders).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from subscription_core.catalog import Addon, AddonKind, Catalog, Cycle, CycleUnit, Plan, PricingOption, Product
from subscription_core.grants import AddonGrant, PlanGrant, grant_of
from subscription_core.limits import MAX_AMOUNT_DIGITS
from subscription_core.money import Currency, Money, to_units
from subscription_core.pricing import quote
from subscription_core.promotions import AmountOff, PercentOff, Promotion, PurchaseKind, RedemptionCounts, Scope
from subscription_core.quotes import AddonSelection, PlanSelection, Quote, Selection
from subscription_core.tax import VatRate, VatSchedule

Plain = dict[str, Any]
VND = Currency.of("VND")
DAY = dt.date(2026, 11, 23)
SCOPE_ORDER = {"package": 0, "addon": 1, "invoice": 2}


# -- the orders -----------------------------------------------------------------------------------------------


def vnd(n: int) -> Money:
    return Money.of(n, VND)


def build_catalog() -> Catalog:
    year, month = Cycle(CycleUnit.YEAR), Cycle(CycleUnit.MONTH)
    plans = [
        Plan(
            code="PRO",
            name="Professional",
            options=[PricingOption(code="1Y", cycle=year, price=vnd(12_000_000))],
            vat=VatSchedule.flat("KCT"),
        ),
        Plan(
            code="STD",
            name="Standard",
            options=[PricingOption(code="6M", cycle=month, cycles=6, price=vnd(3_000_000))],
            vat=VatSchedule.flat("8%"),
        ),
    ]
    ten = VatSchedule.flat("10%")
    addons = [
        Addon(code="TRAIN", name="Training", kind=AddonKind.TRAINING, price=vnd(1_500_000), plans={"PRO"}, vat=ten),
        Addon(
            code="STO",
            name="Storage",
            kind=AddonKind.STORAGE,
            price=vnd(333_333),
            plans={"PRO", "STD"},
            vat=ten,
            storage_per_unit=10,
            max_quantity=50,
        ),
        Addon(code="SMS", name="SMS", kind=AddonKind.SERVICE, price=vnd(45_000), plans={"STD"}, vat=ten),
    ]
    return Catalog(currency=VND, products=[Product(code="AMIS", name="AMIS", plans=plans, addons=addons)])


@attrs.frozen
class Order:
    name: str
    selections: tuple[Selection, ...]
    promotions: tuple[Promotion, ...] = ()
    codes: tuple[str, ...] | None = None
    purchase: PurchaseKind = PurchaseKind.NEW
    redemptions: RedemptionCounts | None = None


def build_orders() -> list[Order]:
    basket = (
        PlanSelection(plan="PRO", option="1Y"),
        AddonSelection(addon="TRAIN"),
        AddonSelection(addon="STO", quantity=2),
    )
    package, invoice = Scope.PACKAGE, Scope.INVOICE
    one_each = (
        Promotion(code="PKG10", scope=package, benefit=_pct(10), targets={"PRO"}),
        Promotion(code="TR200", scope=Scope.ADDON, benefit=AmountOff(amount=vnd(200_000)), targets={"TRAIN"}),
        Promotion(code="INV5", scope=invoice, benefit=_pct(5, cap=500_000)),
    )
    book = (
        *one_each,
        Promotion(code="PKG1M", scope=package, benefit=AmountOff(amount=vnd(1_000_000)), targets={"PRO"}),
        Promotion(code="PKG2", scope=package, benefit=_pct(2), stackable=True),
        Promotion(code="ADD15", scope=Scope.ADDON, benefit=_pct(15), targets={"TRAIN", "STO", "SMS"}),
        Promotion(code="INV300", scope=invoice, benefit=AmountOff(amount=vnd(300_000)), targets={"AMIS"}),
        Promotion(code="BIG", scope=invoice, benefit=_pct(20), min_amount=vnd(90_000_000)),
        Promotion(code="OLD", scope=invoice, benefit=_pct(30), valid_until=dt.date(2025, 12, 31)),
        Promotion(code="GONE", scope=package, benefit=_pct(50), redemption_limit=100),
        Promotion(code="LOYAL", scope=package, benefit=_pct(25), purchase_kinds={PurchaseKind.RENEWAL}),
        Promotion(code="OTHER", scope=package, benefit=_pct(5), targets={"ENT"}),
    )
    competing = (*basket, PlanSelection(plan="STD", option="6M"), AddonSelection(addon="SMS", quantity=3))
    clients = tuple(PlanSelection(plan="STD", option="6M", ref=f"client-{i:02}") for i in range(10))
    renewal = (Promotion(code="LOYAL", scope=package, benefit=_pct(5), purchase_kinds={PurchaseKind.RENEWAL}),)
    return [
        Order("no promotion", basket),
        Order("one promotion per scope", basket, one_each),
        Order(
            "competing promotions by code",
            competing,
            book,
            codes=(*(p.code.lower() for p in book), "NOPE"),
            redemptions=RedemptionCounts(total={"GONE": 100}),
        ),
        Order("renewal of ten clients", clients, renewal, purchase=PurchaseKind.RENEWAL),
    ]


def _pct(percent: int, cap: int | None = None) -> PercentOff:
    return PercentOff(percent=Decimal(percent), cap=None if cap is None else vnd(cap))


# -- plain copies of the inputs, built once before timing --------------------------------------------------


def plain_rate(rate: VatRate) -> Plain:
    numerator, denominator = rate.percent.as_integer_ratio()
    return {"label": rate.label, "num": numerator, "den": denominator * 100, "order": rate.sort_key}


def plain_schedule(schedule: VatSchedule) -> list[tuple[dt.date, dt.date | None, Plain]]:
    return [(p.start, p.end, plain_rate(p.rate)) for p in schedule.periods]


def plain_grant(grant: PlanGrant | AddonGrant | None) -> Plain:
    if isinstance(grant, PlanGrant):
        return {
            "unit": grant.unit.value,
            "length": grant.length,
            "quotas": [(q.code, q.amount, q.unit) for q in grant.quotas],
            "policy": (grant.policy.purge_after_days, grant.policy.warning_days, grant.policy.due_warning_days),
        }
    if grant is None:
        return {}
    return {
        "kind": grant.kind.value,
        "plans": sorted(grant.plans),
        "storage_per_unit": grant.storage_per_unit,
        "retention_unit": None if grant.retention_unit is None else str(grant.retention_unit),
    }


def plain_catalog(catalog: Catalog) -> Plain:
    cur = catalog.currency
    plans, addons = {}, {}
    for product in catalog.products:
        for plan in product.plans:
            options = {
                o.code: {
                    "price": to_units(o.price.amount, cur),
                    "cycles": o.cycles,
                    "description": f"{plan.name} ({o.label})",
                    "grant": plain_grant(grant_of(catalog, plan=plan.code, option=o.code)),
                }
                for o in plan.options
            }
            plans[plan.code] = {"product": product.code, "options": options, "vat": plain_schedule(plan.vat)}
        for a in product.addons:
            addons[a.code] = {
                "product": product.code,
                "name": a.name,
                "kind": a.kind.value,
                "price": to_units(a.price.amount, cur),
                "plans": a.plans,
                "max": a.max_quantity,
                "full_price": a.full_price,
                "vat": plain_schedule(a.vat),
                "grant": plain_grant(grant_of(catalog, addon=a.code)),
            }
    limit = 10 ** (MAX_AMOUNT_DIGITS + cur.minor_units)
    return {"currency": cur.code, "limit": limit, "version": catalog.version, "plans": plans, "addons": addons}


def plain_selection(sel: Selection) -> Plain:
    if isinstance(sel, PlanSelection):
        return {"plan": sel.plan, "option": sel.option, "ref": sel.ref}
    prorate = None if sel.prorate is None else (sel.prorate.days_left, sel.prorate.term_days)
    return {"addon": sel.addon, "quantity": sel.quantity, "ref": sel.ref, "cycles": sel.cycles, "prorate": prorate}


def plain_promotion(p: Promotion, cur: Currency) -> Plain:
    benefit, fixed, cap, ratio, currencies = p.benefit, None, None, (0, 1), set()
    if isinstance(benefit, AmountOff):
        fixed = to_units(benefit.amount.amount, cur)
        currencies.add(benefit.amount.currency.code)
    else:
        numerator, denominator = benefit.percent.as_integer_ratio()
        ratio = (numerator, denominator * 100)
        if benefit.cap is not None:
            cap = to_units(benefit.cap.amount, cur)
            currencies.add(benefit.cap.currency.code)
    if p.min_amount is not None:
        currencies.add(p.min_amount.currency.code)
    return {
        "code": p.code,
        "scope": p.scope.value,
        "fixed": fixed,
        "ratio": ratio,
        "cap": cap,
        "min": None if p.min_amount is None else to_units(p.min_amount.amount, cur),
        "min_text": str(p.min_amount) if p.min_amount else "",
        "currencies": currencies,
        "targets": p.targets,
        "from": p.valid_from,
        "until": p.valid_until,
        "kinds": {k.value for k in p.purchase_kinds},
        "stackable": p.stackable,
        "limit": p.redemption_limit,
        "customer_limit": p.per_customer_limit,
    }


def plain_result(q: Quote) -> Plain:
    """The library's quote in the baseline's shape (outside timing, for the check)."""
    cur = q.currency

    def u(m: Money) -> int:
        return to_units(m.amount, cur)

    lines = [
        {
            "kind": ln.kind.value,
            "code": ln.code,
            "ref": ln.ref,
            "option": ln.option,
            "product": ln.product,
            "description": ln.description,
            "quantity": ln.quantity,
            "unit_price": u(ln.unit_price),
            "base": u(ln.base),
            "discounts": [(d.code, u(d.amount)) for d in ln.discounts],
            "invoice_discount": u(ln.invoice_discount),
            "taxable": u(ln.taxable),
            "vat_rate": ln.vat_rate.label,
            "vat": u(ln.vat),
            "grant": plain_grant(ln.grant),
        }
        for ln in q.lines
    ]
    totals = ("subtotal", "line_discount_total", "invoice_discount_total", "pretax_total", "vat_total", "grand_total")
    return {
        "currency": cur.code,
        "as_of": q.as_of,
        "purchase": q.purchase.value,
        "lines": lines,
        "vat_totals": [(t.rate.label, u(t.taxable), u(t.vat)) for t in q.vat_totals],
        "applied": [(a.code, a.scope.value, u(a.amount)) for a in q.applied],
        "refused": [(r.code, r.reason.value, r.detail) for r in q.refused],
        **{name: u(getattr(q, name)) for name in totals},
        "catalog_version": q.catalog_version,
    }


# -- the baseline engine -------------------------------------------------------------------------------------


def rate_on(schedule: list[tuple[dt.date, dt.date | None, Plain]], day: dt.date) -> Plain:
    for start, end, rate in schedule:
        if start <= day and (end is None or day <= end):
            return rate
    raise ValueError("no VAT rate")


def allocate(total: int, weights: list[int]) -> list[int]:
    if len(weights) == 1 and weights[0] > 0:
        return [total]
    whole = sum(weights)
    if not whole:
        return [0] * len(weights)
    parts, remainders = [], []
    for w in weights:
        part, remainder = divmod(total * w, whole)
        parts.append(part)
        remainders.append(remainder)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[: total - sum(parts)]:
        parts[i] += 1
    return parts


def off_on(p: Plain, units: int) -> int:
    if units <= 0:
        return 0
    fixed: int | None = p["fixed"]
    if fixed is not None:
        return min(fixed, units)
    numerator, denominator = p["ratio"]
    off: int = (2 * units * numerator + denominator) // (2 * denominator)
    cap: int | None = p["cap"]
    if cap is not None and cap < off:
        off = cap
    return min(off, units)


def choose(offers: list[Plain], units: int) -> tuple[list[Plain], str]:
    if len(offers) == 1:
        return offers, offers[0]["code"]
    chosen = [p for p in offers if p["stackable"]]
    single = [p for p in offers if not p["stackable"]]
    winner = ""
    if single:
        best = min(single, key=lambda p: (-off_on(p, units), p["code"]))
        chosen.append(best)
        winner = best["code"]
    chosen.sort(key=lambda p: (p["fixed"] is None, p["code"]))
    return chosen, winner


def apply(chosen: list[Plain], units: int, applied: dict[str, list[Any]], discounts: list[tuple[str, int]]) -> int:
    for p in chosen:
        off = off_on(p, units)
        units -= off
        discounts.append((p["code"], off))
        if p["code"] in applied:
            applied[p["code"]][2] += off
        else:
            applied[p["code"]] = [p["code"], p["scope"], off]
    return units


def price_lines(cat: Plain, selections: Sequence[Plain], day: dt.date, current_plan: str | None) -> list[Plain]:
    if not selections:
        raise ValueError("no selection")
    plan_cycles: dict[str, set[int]] = {}
    lines, plans, addons = [], cat["plans"], cat["addons"]
    for s in selections:
        if "plan" in s:
            plan = plans[s["plan"]]
            option = plan["options"][s["option"]]
            plan_cycles.setdefault(s["plan"], set()).add(option["cycles"])
            lines.append(
                {
                    "key": (0, s["plan"], s["ref"], s["option"]),
                    "kind": "plan",
                    "code": s["plan"],
                    "ref": s["ref"],
                    "option": s["option"],
                    "product": plan["product"],
                    "description": option["description"],
                    "quantity": 1,
                    "unit_price": option["price"],
                    "base": option["price"],
                    "vat_rate": rate_on(plan["vat"], day),
                    "grant": option["grant"],
                }
            )
    if current_plan is not None:
        plans[current_plan]  # must exist
    owned = set(plan_cycles) | ({current_plan} if current_plan else set())
    lines += [addon_line(addons[s["addon"]], s, owned, plan_cycles, day) for s in selections if "addon" in s]
    lines.sort(key=lambda line: line["key"])
    if any(x["key"] == y["key"] for x, y in itertools.pairwise(lines)):
        raise ValueError("duplicate line")
    return lines


def addon_line(a: Plain, s: Plain, owned: set[str], plan_cycles: dict[str, set[int]], day: dt.date) -> Plain:
    companions = [p for p in owned if p in a["plans"]]
    if not companions or (a["max"] is not None and s["quantity"] > a["max"]):
        raise ValueError("add-on refused")
    base = a["price"] * s["quantity"]
    if a["kind"] == "service":
        cycles = s["cycles"]
        if not cycles:
            found = {c for p in companions for c in plan_cycles.get(p, ())}
            if len(found) != 1:
                raise ValueError("cycles")
            cycles = found.pop()
        base *= cycles
    elif a["kind"] == "storage" and s["prorate"] and not a["full_price"]:
        left, term = s["prorate"]
        base = (2 * base * left + term) // (2 * term)
    return {
        "key": (1, s["addon"], s["ref"], ""),
        "kind": "addon",
        "code": s["addon"],
        "ref": s["ref"],
        "option": "",
        "product": a["product"],
        "description": a["name"],
        "quantity": s["quantity"],
        "unit_price": a["price"],
        "base": base,
        "vat_rate": rate_on(a["vat"], day),
        "grant": a["grant"],
    }


def eligible(
    cat: Plain,
    book: Sequence[Plain],
    codes: Sequence[str] | None,
    day: dt.date,
    purchase: str,
    counts: RedemptionCounts | None,
    refused: list[tuple[str, str, str]],
) -> list[Plain]:
    by_code: dict[str, Plain] = {}
    for p in book:
        if p["code"].upper() in by_code:
            raise ValueError("two promotions share a code")
        by_code[p["code"].upper()] = p
    asked = list(by_code.values())
    if codes is not None:
        wanted = dict.fromkeys(c.strip().upper() for c in codes if c.strip())
        asked = [by_code[c] for c in wanted if c in by_code]
        refused += [(c, "unknown code", "") for c in wanted if c not in by_code]
    total = counts.total if counts else {}
    mine = counts.by_customer if counts else {}
    found = []
    for p in asked:
        refusal = ineligible(p, cat["currency"], day, purchase, total, mine)
        if refusal is None:
            found.append(p)
        else:
            refused.append(refusal)
    return found


def ineligible(
    p: Plain, currency: str, day: dt.date, purchase: str, total: Mapping[str, int], mine: Mapping[str, int]
) -> tuple[str, str, str] | None:
    code = p["code"]
    if p["currencies"] and p["currencies"] != {currency}:
        return (code, "in another currency", f"order is in {currency}")
    if p["from"] is not None and day < p["from"]:
        return (code, "not yet valid", f"valid from {p['from']}")
    if p["until"] is not None and day > p["until"]:
        return (code, "expired", f"valid until {p['until']}")
    if purchase not in p["kinds"]:
        return (code, "not for this kind of purchase", f"not for {purchase} purchases")
    return limit_reached(p, total, mine)


def limit_reached(p: Plain, total: Mapping[str, int], mine: Mapping[str, int]) -> tuple[str, str, str] | None:
    code = p["code"]
    if p["limit"] is not None and total.get(code, 0) >= p["limit"]:
        return (code, "no redemptions left", f"limit {p['limit']}")
    if p["customer_limit"] is not None and mine.get(code, 0) >= p["customer_limit"]:
        return (code, "this customer has used it up", f"limit {p['customer_limit']} per customer")
    return None


def line_promotions(lines: list[Plain], offers: list[Plain], refused: list[Any], applied: dict[str, Any]) -> None:
    gross = sum(line["base"] for line in lines)
    matched: set[str] = set()
    beaten: dict[str, str] = {}
    kept = []
    for p in offers:
        if p["scope"] == "invoice":
            continue
        if p["min"] is not None and gross < p["min"]:
            refused.append((p["code"], "order below the minimum amount", f"minimum {p['min_text']}"))
        else:
            kept.append(p)
    for line in lines:
        line["discounts"], line["net"] = [], line["base"]
        scope = "package" if line["kind"] == "plan" else "addon"
        here = [p for p in kept if p["scope"] == scope and (not p["targets"] or line["code"] in p["targets"])]
        if here:
            chosen, winner = choose(here, line["base"])
            matched.update(p["code"] for p in here)
            beaten.update((p["code"], winner) for p in here if p not in chosen)
            line["net"] = apply(chosen, line["base"], applied, line["discounts"])
    for p in kept:
        if p["code"] not in matched:
            refused.append((p["code"], "not for the items in this order", ""))
        elif p["code"] not in applied:
            refused.append((p["code"], "a better promotion took its place", f"{beaten[p['code']]} applies instead"))


def invoice_promotions(lines: list[Plain], offers: list[Plain], refused: list[Any], applied: dict[str, Any]) -> int:
    subtotal, products, kept = sum(line["net"] for line in lines), {line["product"] for line in lines}, []
    for p in offers:
        if p["scope"] != "invoice":
            continue
        if p["targets"] and not p["targets"] & products:
            refused.append((p["code"], "not for the items in this order", ""))
        elif p["min"] is not None and subtotal < p["min"]:
            refused.append((p["code"], "order below the minimum amount", f"minimum {p['min_text']}"))
        else:
            kept.append(p)
    for line in lines:
        line["invoice_discount"] = 0
    if not kept:
        return 0
    chosen, winner = choose(kept, subtotal)
    refused += [
        (p["code"], "a better promotion took its place", f"{winner} applies instead") for p in kept if p not in chosen
    ]
    discount: int = subtotal - apply(chosen, subtotal, applied, [])
    if discount:
        for line, share in zip(lines, allocate(discount, [line["net"] for line in lines]), strict=True):
            line["invoice_discount"] = share
    return discount


def vat_totals(lines: list[Plain]) -> list[tuple[str, int, int]]:
    groups: dict[str, list[Plain]] = {}
    for line in lines:
        groups.setdefault(line["vat_rate"]["label"], []).append(line)
    totals = []
    for label, group in sorted(groups.items(), key=lambda item: item[1][0]["vat_rate"]["order"]):
        rate = group[0]["vat_rate"]
        taxables = [line["net"] - line["invoice_discount"] for line in group]
        taxable = sum(taxables)
        vat = (2 * taxable * rate["num"] + rate["den"]) // (2 * rate["den"])
        for line, t, share in zip(group, taxables, allocate(vat, taxables), strict=True):
            line["taxable"], line["vat"] = t, share
        totals.append((label, taxable, vat))
    return totals


def plain_quote(
    cat: Plain,
    selections: Sequence[Plain],
    day: dt.date,
    book: Sequence[Plain],
    codes: Sequence[str] | None = None,
    purchase: str = "new",
    current_plan: str | None = None,
    counts: RedemptionCounts | None = None,
) -> Plain:
    """The baseline: the same quote, on plain dicts and ints."""
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise TypeError("as_of")
    lines = price_lines(cat, selections, day, current_plan)
    refused: list[tuple[str, str, str]] = []
    applied: dict[str, list[Any]] = {}
    offers = eligible(cat, book, codes, day, purchase, counts, refused)
    line_promotions(lines, offers, refused, applied)
    invoice = invoice_promotions(lines, offers, refused, applied)
    totals = vat_totals(lines)
    subtotal = sum(line["base"] for line in lines)
    pretax, vat = sum(t[1] for t in totals), sum(t[2] for t in totals)
    if subtotal + vat >= cat["limit"]:
        raise ValueError("total too large")
    keys = (
        "kind",
        "code",
        "ref",
        "option",
        "product",
        "description",
        "quantity",
        "unit_price",
        "base",
        "discounts",
        "invoice_discount",
        "taxable",
    )
    return {
        "currency": cat["currency"],
        "as_of": day,
        "purchase": purchase,
        "lines": [
            {**{k: ln[k] for k in keys}, "vat_rate": ln["vat_rate"]["label"], "vat": ln["vat"], "grant": ln["grant"]}
            for ln in lines
        ],
        "vat_totals": totals,
        "applied": [tuple(a) for a in sorted(applied.values(), key=lambda a: (SCOPE_ORDER[a[1]], a[0]))],
        "refused": sorted(refused, key=lambda r: (r[0], r[1])),
        "subtotal": subtotal,
        "line_discount_total": subtotal - sum(line["net"] for line in lines),
        "invoice_discount_total": invoice,
        "pretax_total": pretax,
        "vat_total": vat,
        "grand_total": pretax + vat,
        "catalog_version": cat["version"],
    }


# -- timing ----------------------------------------------------------------------------------------------------


def pair(catalog: Catalog, cat: Plain, order: Order) -> tuple[Callable[[], Quote], Callable[[], Plain]]:
    sels = [plain_selection(s) for s in order.selections]
    book = [plain_promotion(p, catalog.currency) for p in order.promotions]
    kind, codes = order.purchase.value, order.codes

    def library() -> Quote:
        return quote(
            catalog,
            order.selections,
            as_of=DAY,
            promotions=order.promotions,
            codes=codes,
            purchase=order.purchase,
            redemptions=order.redemptions,
        )

    def baseline() -> Plain:
        return plain_quote(cat, sels, DAY, book, codes, kind, None, order.redemptions)

    return library, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--number", type=int, default=150)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="cpu: this process's CPU time")
    args = parser.parse_args()
    timer = time.process_time if args.clock == "cpu" else time.perf_counter
    catalog = build_catalog()
    cat = plain_catalog(catalog)
    sums = [0.0, 0.0]
    for order in build_orders():
        library, baseline = pair(catalog, cat, order)
        if plain_result(library()) != baseline():
            raise SystemExit(f"{order.name}: the two engines disagree:\n{plain_result(library())}\n{baseline()}")
        best = [float("inf"), float("inf")]
        for _ in range(args.repeat):  # alternated, so that a change in the machine's load hits both sides
            for side, run in enumerate((library, baseline)):
                best[side] = min(best[side], timeit.timeit(run, timer=timer, number=args.number) / args.number)
        sums = [sums[0] + best[0], sums[1] + best[1]]
        lib, base = best[0] * 1e6, best[1] * 1e6
        print(f"{order.name:<30} library {lib:7.1f} µs  baseline {base:6.1f} µs  {lib / base:.2f}")
    print(f"{'all four, one quote of each':<30} library {sums[0] * 1e6:7.1f} µs  baseline {sums[1] * 1e6:6.1f} µs")
    print(f"ratio: {sums[0] / sums[1]:.2f}")


if __name__ == "__main__":
    main()
