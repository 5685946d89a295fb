"""The reference host's routes: a small Starlette app over the library (run it as ``README.md`` says).

Every library call runs in a worker thread (``anyio.to_thread.run_sync``): the library is synchronous and
would otherwise block the event loop. The :class:`~subscription_core_adapters.bootstrap.SqlWiring` handle
is made once by the lifespan (``wiring_from_env`` unless :func:`create_app` is given another factory), kept
in ``app.state.wired`` and disposed of at shutdown. Each request runs one use case, with the client's
``Idempotency-Key`` (or a random one); every refusal is answered with the library's error shape and the
status of ``docs/errors.md``.

**Authentication is a stand-in.** The headers ``X-User`` and ``X-Customer`` name the signed-in user and the
company they act for, and ``X-Staff`` a staff member. They are trusted as sent: anyone can send them. The
library still checks that the user is a buyer of the company (A1) and that staff-only calls come from staff
(A2), but who is who must come from the host's own login (a session or a verified token) instead.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio.to_thread
from examples.host.pages import return_page, transfer_page
from examples.host.wiring import wiring_from_env
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from subscription_core import Actor, Party
from subscription_core.errors import NotFoundError, PermissionDeniedError, SubscriptionError, ValidationError
from subscription_core.payments import PaymentMethod
from subscription_core.services import (
    AddonChoice,
    Checkout,
    NewPurchase,
    confirm_bank_refunds,
    order_detail,
    place_order,
    quote_for_visitor,
    reconcile_statement,
    register_customer,
    start_payment,
    subscription_details,
)
from subscription_core.shapes import from_dict, to_dict
from subscription_core_adapters.banking import qr_svg
from subscription_core_adapters.bootstrap import SqlWiring
from subscription_core_adapters.gateways import VnpayProvider, answer_ipn, query_fields
from subscription_core_adapters.statements import PRESETS, read_statement

__all__ = ["STATUS", "create_app"]

T = TypeVar("T")
STATUS = {  # docs/errors.md: from the error's code to the HTTP status (NotFoundError: see _answer)
    "validation": 422,
    "currency_mismatch": 422,
    "catalog": 422,
    "invalid_rows": 422,
    "not_eligible": 409,
    "invalid_transition": 409,
    "read_only": 409,
    "conflict": 409,
    "permission_denied": 403,
    "transient": 503,
    "storage": 503,
    "retry_later": 503,
}
MAX_STATEMENT_BYTES = 5_000_000


async def _call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:  # noqa: ANN401 - any use case
    """Run a (blocking) library call in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


def _wired(request: Request) -> SqlWiring:
    wired: SqlWiring = request.app.state.wired
    return wired


def _answer(error: SubscriptionError) -> JSONResponse:
    """The error's JSON shape with the status of docs/errors.md; ``Retry-After`` when trying again may help."""
    status = (422 if error.reference else 404) if isinstance(error, NotFoundError) else STATUS.get(error.code, 500)
    body = error.as_dict()
    return JSONResponse(body, status_code=status, headers={"Retry-After": "1"} if body["retryable"] else None)


async def _refused(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, SubscriptionError):  # pragma: no cover - registered for SubscriptionError only
        raise exc
    return _answer(exc)


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, a malformed form) in the same JSON shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 400
    detail = exc.detail if isinstance(exc, HTTPException) else "bad request"
    code = "not_found" if status == 404 else "validation"  # noqa: PLR2004 - HTTP's status
    body = {"code": code, "rule": "", "field": "", "message": str(detail), "retryable": False}
    return JSONResponse(body, status_code=status)


def _customer(request: Request) -> Actor:
    """The signed-in user of a company: a STAND-IN trusting two headers (see the module's docstring)."""
    user, customer = request.headers.get("X-User"), request.headers.get("X-Customer")
    if not user or not customer:
        raise PermissionDeniedError("sign in: send X-User and X-Customer (the host's login stand-in)", field="actor")
    return Actor.customer_user(user, customer)


def _staff(request: Request) -> Actor:
    """A staff member: a STAND-IN trusting the ``X-Staff`` header (see the module's docstring)."""
    staff = request.headers.get("X-Staff")
    if not staff:
        raise PermissionDeniedError("staff only: send X-Staff (the host's login stand-in)", rule="A2", field="actor")
    return Actor.staff(staff)


def _key(request: Request) -> str:
    """The client's ``Idempotency-Key``, passed as it is (the library checks it), or a fresh one."""
    return request.headers.get("Idempotency-Key") or str(uuid.uuid4())


async def _object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    try:
        body = await request.json()
    except ValueError:
        raise ValidationError("must be JSON", field="body") from None
    if not isinstance(body, dict):
        raise ValidationError("must be a JSON object", field="body", value=type(body).__name__)
    return body


async def catalog(request: Request) -> Response:
    """GET /catalog: the whole catalog as JSON."""
    return JSONResponse(to_dict(_wired(request).services.catalog))


async def prices(request: Request) -> Response:
    """GET /prices: each plan's options and their prices, for a pricing page."""
    plans = (plan for product in _wired(request).services.catalog.products for plan in product.plans)
    found = [
        {"plan": plan.code, "name": plan.name, "option": option.code, "cycles": option.cycles}
        | {"price": to_dict(option.price)}
        for plan in plans
        for option in plan.options
    ]
    return JSONResponse(found)


async def quote(request: Request) -> Response:
    """POST /quote ``{"plan", "option", "addons": [...], "codes": [...]}``: a visitor's quote (P1-P9)."""
    body = await _object(request)
    addons, codes = body.get("addons", []), body.get("codes", [])
    if not isinstance(addons, list) or not isinstance(codes, list):
        raise ValidationError("addons and codes must be lists", field="body")
    chosen = [from_dict(addon, AddonChoice) for addon in addons]
    plan, option = body.get("plan"), body.get("option")
    result = await _call(
        quote_for_visitor, _wired(request).services, plan=plan, option=option, addons=chosen, codes=codes
    )
    return JSONResponse(to_dict(result))


async def signup(request: Request) -> Response:
    """POST /signup ``{"name", "tax_code", "subscriber": Party}``: the company, with ``X-User`` as its buyer."""
    body = await _object(request)
    user = request.headers.get("X-User")
    if not user:
        raise PermissionDeniedError("sign in: send X-User (the host's login stand-in)", field="actor")
    customer = await _call(
        register_customer,
        _wired(request).services,
        Actor.system("signup"),
        name=body.get("name"),
        tax_code=body.get("tax_code"),
        subscriber=from_dict(body.get("subscriber"), Party),
        buyers={user},
        idempotency_key=_key(request),
    )
    return JSONResponse({"customer_id": customer.id, "name": customer.name}, status_code=201)


async def order(request: Request) -> Response:
    """POST /orders ``{"purchase": NewPurchase, "checkout": Checkout}``: place the order (O1-O4)."""
    body = await _object(request)
    purchase, checkout = from_dict(body.get("purchase"), NewPurchase), from_dict(body.get("checkout"), Checkout)
    actor = _customer(request)
    placed = await _call(
        place_order, _wired(request).services, actor, purchase, checkout, idempotency_key=_key(request)
    )
    return JSONResponse(to_dict(placed), status_code=201, headers={"Location": f"/orders/{placed.id}"})


async def show_order(request: Request) -> Response:
    """GET /orders/{order_id}: the order as the signed-in company sees it."""
    shown = await _call(order_detail, _wired(request).services, _customer(request), request.path_params["order_id"])
    return JSONResponse(to_dict(shown))


async def subscriptions(request: Request) -> Response:
    """GET /subscriptions: the signed-in company's subscriptions."""
    actor = _customer(request)
    found = await _call(subscription_details, _wired(request).services, actor, str(actor.customer_id))
    return JSONResponse([to_dict(detail) for detail in found])


async def pay_by_vnpay(request: Request) -> Response:
    """POST /orders/{order_id}/vnpay[?bank=NCB|INTCARD]: start a card payment, 302 to VNPay's signed page."""
    bank = request.query_params.get("bank", "VNBANK")  # VNBANK: the buyer picks the bank on VNPay's page
    method = PaymentMethod.international_card() if bank == "INTCARD" else PaymentMethod.domestic_card(bank)
    started = await _call(
        start_payment,
        _wired(request).services,
        _customer(request),
        order_id=request.path_params["order_id"],
        method=method,
        idempotency_key=_key(request),
    )
    return RedirectResponse(str(started.redirect_url), status_code=302)


async def vnpay_ipn(request: Request) -> Response:
    """GET /vnpay/ipn: VNPay's server-to-server call; always 200 with ``{"RspCode", "Message"}``."""
    try:
        fields = query_fields(request.url.query)
    except ValidationError:  # a parameter given twice: nothing to verify, answered 97
        fields = {}
    answer = await _call(answer_ipn, _wired(request).services, fields)
    return Response(answer.as_json(), media_type="application/json")


async def vnpay_return(request: Request) -> Response:
    """GET /vnpay/return: where VNPay sends the buyer back; it shows, and pays nothing (only the IPN does)."""
    vnpay = _wired(request).services.providers["vnpay"]
    if not isinstance(vnpay, VnpayProvider):  # pragma: no cover - wiring.py registers it
        raise NotFoundError("no VNPay provider is wired", field="provider")
    try:
        fields = query_fields(request.url.query)
    except ValidationError:
        fields = {}
    shown = await _call(vnpay.read_return, fields)
    return HTMLResponse(return_page(shown))


async def transfer(request: Request) -> Response:
    """GET /orders/{order_id}/transfer: the transfer instructions with their VietQR code (Y3).

    Its idempotency key is fixed per order, so reloading the page shows the same instructions and starts
    nothing new.
    """
    order_id = request.path_params["order_id"]
    started = await _call(
        start_payment,
        _wired(request).services,
        _customer(request),
        order_id=order_id,
        method=PaymentMethod.bank_transfer(),
        idempotency_key=f"transfer-page:{order_id}",
    )
    instructions = dict(started.instructions)
    svg = await _call(qr_svg, instructions["qr"])
    return HTMLResponse(transfer_page(order_id, instructions, svg))


async def upload_statement(request: Request) -> Response:
    """POST /staff/statements (multipart: ``file``, ``format``, ``statement_id``): reconcile a bank statement.

    Its credit lines are reconciled with orders (Y3); its debit lines confirm the bank refunds whose
    reference they carry, for their amount (Y8): ``refunds_confirmed`` lists them.
    """
    staff = _staff(request)
    async with request.form(max_files=1, max_fields=5) as form:
        upload, name = form.get("file"), str(form.get("format") or "generic")
        if not isinstance(upload, UploadFile):
            raise ValidationError("attach the statement as the form's file", field="file")
        if name not in PRESETS:
            raise ValidationError(f"must be one of {', '.join(PRESETS)}", field="format", value=name)
        data = await upload.read(MAX_STATEMENT_BYTES + 1)
        statement_id = str(form.get("statement_id") or upload.filename or "statement")
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValidationError(f"is larger than {MAX_STATEMENT_BYTES} bytes", field="file")
    read = await _call(read_statement, data, PRESETS[name])
    report = await _call(reconcile_statement, _wired(request).services, staff, read.lines, statement_id=statement_id)
    confirmed = await _call(confirm_bank_refunds, _wired(request).services, staff, read.debit_lines)
    needs_staff = [
        {"line_id": r.line.line_id, "outcome": r.outcome.value, "order_id": r.order_id, "note": r.note}
        for r in report.needs_staff
    ]
    return JSONResponse(
        {
            "statement_id": report.statement_id,
            "counts": {outcome.value: count for outcome, count in report.counts.items() if count},
            "needs_staff": needs_staff,
            "unreadable_rows": [to_dict(problem) for problem in read.problems],
            "debit_lines": read.debits,
            "refunds_confirmed": [
                {"refund_id": r.id, "amount": str(r.amount.amount), "statement_line": r.statement_line}
                for r in confirmed
            ],
        }
    )


def create_app(wire: Callable[[], SqlWiring] = wiring_from_env) -> Starlette:
    """The host's app; ``wire`` makes the one handle at start-up.

    Run it with ``uvicorn --factory examples.host.app:create_app`` (see README.md).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.wired = await anyio.to_thread.run_sync(wire)  # connects and migrates: not on the event loop
        try:
            yield
        finally:
            app.state.wired.dispose()

    routes = [
        Route("/catalog", catalog),
        Route("/prices", prices),
        Route("/quote", quote, methods=["POST"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/orders", order, methods=["POST"]),
        Route("/orders/{order_id}", show_order),
        Route("/orders/{order_id}/vnpay", pay_by_vnpay, methods=["POST"]),
        Route("/orders/{order_id}/transfer", transfer),
        Route("/subscriptions", subscriptions),
        Route("/vnpay/ipn", vnpay_ipn),
        Route("/vnpay/return", vnpay_return),
        Route("/staff/statements", upload_statement, methods=["POST"]),
    ]
    handlers = {SubscriptionError: _refused, HTTPException: _http_error}
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
