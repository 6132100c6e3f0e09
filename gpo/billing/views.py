"""Billing pages and the Stripe webhook (thin views): who may do what is the role table's (`gpo.members.rights`).

Another practice's billing answers 404 (`scoping.practice_get`); a role without the right answers 403. Checkout and
the customer portal are sessions created on the server that the browser is redirected to: no Stripe.js (CSP).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gpo.billing import selectors, services, stripe_client
from gpo.billing.models import BillingAccount, DuesPlan
from gpo.errors import ApplicationError
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.members.rights import Right, has_right, right_require

logger = logging.getLogger(__name__)

CHECKOUT_NOTES = {
    "success": "Thank you: Stripe has the payment. The status below changes as soon as Stripe confirms it.",
    "cancelled": "Checkout was cancelled; nothing was charged.",
}


def _practice_page(practice: Practice) -> str:
    return reverse("billing-practice", args=[practice.slug])


def _back(practice: Practice) -> HttpResponseRedirect:
    return HttpResponseRedirect(_practice_page(practice), status=303)


@login_required
def billing_home(request: HttpRequest) -> HttpResponse:
    """`/billing/`: the billing of the practice picked in the header; coalition staff without one get the overview."""
    practice = scoping.current_practice(request)
    if practice is None:
        right_require(request.user, None, Right.BILLING_VIEW)
        return redirect("billing-overview")
    right_require(request.user, practice, Right.BILLING_VIEW)
    return _practice_billing_render(request, practice)


@login_required
def practice_billing(request: HttpRequest, slug: str) -> HttpResponse:
    """`/billing/practices/<slug>/`: standing, plan, next invoice, invoices, and the buttons to pay."""
    practice = scoping.practice_get(user=request.user, slug=slug)
    right_require(request.user, practice, Right.BILLING_VIEW)
    return _practice_billing_render(request, practice)


def _practice_billing_render(request: HttpRequest, practice: Practice) -> HttpResponse:
    context = {
        "billing": selectors.practice_billing_get(practice=practice),
        "may_pay": has_right(request.user, practice, Right.BILLING_PAY),
        "may_see_overview": has_right(request.user, None, Right.BILLING_VIEW),
        "configured": stripe_client.is_configured(),
        "how_to_configure": stripe_client.HOW_TO_CONFIGURE,
        "checkout_note": CHECKOUT_NOTES.get(request.GET.get("checkout", "")),
        "grace_days": selectors.grace_period().days,
    }
    return render(request, "billing/practice.html", context)


def _pay_practice(request: HttpRequest, slug: str) -> Practice:
    practice = scoping.practice_get(user=request.user, slug=slug)
    right_require(request.user, practice, Right.BILLING_PAY)
    return practice


def _to_stripe(practice: Practice, request: HttpRequest, start: Callable[[], str]) -> HttpResponse:
    """Send the browser to the Stripe page `start` creates; on a refusal, back to the billing page saying why."""
    try:
        url = start()
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(practice)
    return HttpResponseRedirect(url, status=303)


@login_required
@require_POST
def checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Pay dues" button: a Stripe Checkout session for the practice's yearly dues, the browser sent to it."""
    practice = _pay_practice(request, slug)
    page = request.build_absolute_uri(_practice_page(practice))
    return _to_stripe(
        practice,
        request,
        lambda: services.checkout_start(
            practice=practice,
            email=getattr(request.user, "email", ""),
            success_url=f"{page}?checkout=success",
            cancel_url=f"{page}?checkout=cancelled",
        ),
    )


@login_required
@require_POST
def portal(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Manage payment method" button: the Stripe customer portal (card, billing details, invoices)."""
    practice = _pay_practice(request, slug)
    return _to_stripe(
        practice,
        request,
        lambda: services.portal_start(
            practice=practice,
            email=getattr(request.user, "email", ""),
            return_url=request.build_absolute_uri(_practice_page(practice)),
        ),
    )


# --- coalition staff ---


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """`/billing/practices/`: every practice's standing, the overdue ones, plans; admins change them."""
    right_require(request.user, None, Right.BILLING_VIEW)
    context = {
        "overview": selectors.billing_overview_get(user=request.user),
        "may_manage": has_right(request.user, None, Right.BILLING_PAY),
        "configured": stripe_client.is_configured(),
        "webhook_configured": stripe_client.webhook_is_configured(),
        "how_to_configure": stripe_client.HOW_TO_CONFIGURE,
        "invoice_method": BillingAccount.CollectionMethod.SEND_INVOICE,
        "grace_days": selectors.grace_period().days,
    }
    return render(request, "billing/overview.html", context)


def _managed_practice(request: HttpRequest, slug: str) -> Practice:
    practice = scoping.practice_get(user=request.user, slug=slug)
    right_require(request.user, None, Right.BILLING_PAY)
    return practice


def _to_overview() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("billing-overview"), status=303)


@login_required
@require_POST
def invoice_billing(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch a practice to invoice billing (`collection_method=send_invoice`): coalition admins."""
    practice = _managed_practice(request, slug)
    try:
        services.invoice_billing_switch(practice=practice)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        days = settings.BILLING_INVOICE_DAYS_UNTIL_DUE
        messages.success(request, f"{practice.name} is now billed by emailed invoice, due {days} days after issue.")
    return _to_overview()


def _plan_get(plan_id: str) -> DuesPlan:
    try:
        plan = selectors.plan_list().filter(pk=plan_id).first()
    except (ValueError, ValidationError):
        plan = None
    if plan is None:
        raise Http404("No such dues plan.")
    return plan


@login_required
@require_POST
def practice_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """Put a practice on a dues plan: coalition admins."""
    practice = _managed_practice(request, slug)
    plan_id = request.POST.get("plan", "")
    plan = _plan_get(plan_id) if plan_id else None
    services.practice_plan_set(practice=practice, plan=plan)
    messages.success(request, f"{practice.name}: dues plan {plan.name if plan else 'removed'}.")
    return _to_overview()


@login_required
@require_POST
def plan_publish(request: HttpRequest, plan_id: str) -> HttpResponse:
    """Create a dues plan's Stripe Product and Price: coalition admins."""
    right_require(request.user, None, Right.BILLING_PAY)
    plan = _plan_get(plan_id)
    try:
        services.plan_publish(plan=plan)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{plan.name} is in Stripe.")
    return _to_overview()


# --- Stripe ---


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """`POST /billing/stripe/webhook/`: a verified Stripe event is applied once; anything unverified is a 400."""
    try:
        event = stripe_client.event_verify(payload=request.body, signature=request.headers.get("Stripe-Signature"))
    except stripe_client.BillingNotConfiguredError:
        # Nothing can be verified, so nothing is accepted; a 4xx, as for any request this app cannot take.
        return JsonResponse({"detail": "Billing is not configured: STRIPE_WEBHOOK_SECRET is not set."}, status=400)
    except (stripe_client.SignatureVerificationError, ValueError) as error:
        logger.warning("Stripe webhook refused: %s", error)
        return JsonResponse({"detail": "The Stripe signature or payload is not valid."}, status=400)
    try:
        record, applied = services.stripe_event_apply(event=event)
    except (ValueError, ValidationError) as error:
        # Nothing of it is stored (one transaction); Stripe retries, and the event is in its dashboard.
        logger.error("Stripe event %s could not be applied: %s", event.get("id"), error)
        return JsonResponse({"detail": "The event could not be applied."}, status=400)
    return JsonResponse({"received": True, "outcome": record.outcome, "replay": not applied})
