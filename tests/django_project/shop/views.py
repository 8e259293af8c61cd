"""The code under test: a checkout that calls a payment API and mails a receipt."""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt


def charge(amount: int) -> str:
    """Charge *amount* cents with the payment API; return the charge id."""
    request = urllib.request.Request(
        f"{settings.PAYMENT_API_URL}/charges",
        data=json.dumps({"amount": amount}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(json.loads(response.read())["id"])


@csrf_exempt
def checkout(request: HttpRequest) -> HttpResponse:
    charge_id = charge(int(request.POST["amount"]))
    send_mail(
        f"Receipt {charge_id}",
        f"We charged {request.POST['amount']} cents.",
        None,
        [request.POST["email"]],
    )
    return JsonResponse({"charge": charge_id})
