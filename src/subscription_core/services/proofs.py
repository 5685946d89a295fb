"""Proofs of payment (Y4, K2): customers submit them, staff verify them (the order is paid at once) or reject them.

For a renewal on commitment the proof is also attached to the commitment, which holds the cut-off until
staff review it (K2); verifying it makes the renewal official (K5); rejecting it lets the cut-off follow.
"""

from __future__ import annotations

import datetime as dt
import logging

from subscription_core import commitments
from subscription_core.customers import Actor
from subscription_core.errors import InvalidTransitionError, checked_id
from subscription_core.orders import Order, OrderKind
from subscription_core.payments import Payment, PaymentMethod, PaymentProof
from subscription_core.ports import UnitOfWork
from subscription_core.services.context import Services
from subscription_core.services.fulfilment import Settlement, fulfil
from subscription_core.services.idempotency import fingerprint, run_once
from subscription_core.services.invoicing import issue_invoices
from subscription_core.services.notifying import save_outcome
from subscription_core.services.permissions import require_actor, require_order_access, require_reason, require_staff

__all__ = ["reject_payment_proof", "submit_payment_proof", "verify_payment_proof"]

_log = logging.getLogger(__name__)


def submit_payment_proof(
    deps: Services, actor: Actor, *, order_id: str, transfer_content: str, attachment: str, idempotency_key: str
) -> PaymentProof:
    """A customer submits proof of payment for an order (Y4): the transfer content and an attached image.

    For a renewal on commitment the proof is also attached to the commitment, which holds the cut-off
    until staff review it (K2).

    Raises:
        PermissionDeniedError: (A1, A3) ``actor`` may not pay this order. NotFoundError: unknown order.
        InvalidTransitionError: (Y4) the order is not awaiting payment. NotEligibleError: (Y4) a proof
            already awaits review on the commitment. ValidationError: empty content or attachment.
    """
    order_id = checked_id(order_id, field="order_id")
    require_actor(actor)

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, PaymentProof]:
        order = uow.orders.get(order_id)
        require_order_access(actor, order, uow)
        if not order.awaiting_payment:
            raise InvalidTransitionError(
                f"order {order.id} is {order.state.value}, not awaiting payment", rule="Y4", field="order_id"
            )
        proof = PaymentProof(
            id=deps.ids.new_id("prf"),
            order_id=order.id,
            transfer_content=transfer_content,
            attachment=attachment,
            submitted_at=now,
            submitted_by=actor,
        )
        uow.payments.add_proof(proof)
        if order.kind is OrderKind.RENEWAL_ON_COMMITMENT:
            sub = uow.subscriptions.get(str(order.lines[0].subscription_id))
            outcome = commitments.submit_proof(
                sub, now, transfer_content=transfer_content, attachment=attachment, actor=actor
            )
            save_outcome(uow, sub, outcome)
        _log.info("proof %s submitted for order %s", proof.id, order.id)
        return proof.id, proof

    digest = fingerprint(order_id=order_id, transfer_content=transfer_content, attachment=attachment)
    return run_once(
        deps,
        actor,
        name="submit_payment_proof",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, pid: uow.payments.get_proof(pid),
    )


def verify_payment_proof(deps: Services, actor: Actor, *, proof_id: str, reason: str, idempotency_key: str) -> Order:
    """Staff verify a proof of payment (Y4, A2): the money is recorded as received and the order paid at once.

    For a renewal on commitment the renewal becomes official (K5).

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: no reason. NotFoundError: unknown proof.
        InvalidTransitionError: (Y4) the proof was already reviewed, or the order is not awaiting payment.
        ConflictError: the key was used for another request.
    """
    proof_id = checked_id(proof_id, field="proof_id")
    require_staff(actor, "verify a proof of payment")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, Order]:
        proof = uow.payments.get_proof(proof_id)
        uow.payments.save_proof(proof.verify(at=now, by=actor), expected_version=proof.version)
        order = uow.orders.get(proof.order_id)
        payment = Payment.received_offline(
            id=deps.ids.new_id("pay"),
            order=order,
            method=PaymentMethod.bank_transfer(),
            amount=order.grand_total,
            at=now,
            by=actor,
        )
        uow.payments.add(payment)
        settlement = Settlement(payment=payment, at=now, by=actor, immediate=True, reason=note)
        return order.id, fulfil(deps, uow, order, settlement)

    digest = fingerprint(proof_id=proof_id, reason=note)
    done = run_once(
        deps,
        actor,
        name="verify_payment_proof",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, oid: uow.orders.get(oid),
    )
    issue_invoices(deps, done.id)  # O7: after the commit
    return done


def reject_payment_proof(
    deps: Services, actor: Actor, *, proof_id: str, reason: str, idempotency_key: str
) -> PaymentProof:
    """Staff reject a proof of payment with a reason (Y4, A2); a commitment's cut-off is no longer held (K2).

    Raises:
        PermissionDeniedError: (A2) not staff. ValidationError: no reason. NotFoundError: unknown proof.
        InvalidTransitionError: (Y4) the proof was already reviewed. ConflictError: the key was reused.
    """
    proof_id = checked_id(proof_id, field="proof_id")
    require_staff(actor, "reject a proof of payment")
    note = require_reason(actor, reason, "")

    def work(uow: UnitOfWork, now: dt.datetime) -> tuple[str, PaymentProof]:
        proof = uow.payments.get_proof(proof_id)
        rejected = proof.reject(at=now, by=actor, reason=note)
        uow.payments.save_proof(rejected, expected_version=proof.version)
        order = uow.orders.get(proof.order_id)
        if order.kind is OrderKind.RENEWAL_ON_COMMITMENT:
            sub = uow.subscriptions.get(str(order.lines[0].subscription_id))
            if sub.commitment is not None and sub.commitment.proof is not None:
                save_outcome(uow, sub, commitments.reject_proof(sub, now, actor=actor, reason=note))
        _log.info("proof %s rejected by %s", proof.id, actor.id)
        return rejected.id, rejected

    digest = fingerprint(proof_id=proof_id, reason=note)
    return run_once(
        deps,
        actor,
        name="reject_payment_proof",
        key=idempotency_key,
        digest=digest,
        work=work,
        replay=lambda uow, pid: uow.payments.get_proof(pid),
    )
