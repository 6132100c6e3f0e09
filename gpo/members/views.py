"""Pages for signing in and choosing the practice in the header."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from gpo.members import scoping
from gpo.members.rights import Right, has_right
from gpo.members.sign_in_throttle import sign_in_wait


@login_required
@require_POST
def practice_pick(request: HttpRequest) -> HttpResponse:
    """Remember the practice chosen in the header for this session; another practice's slug answers 404."""
    practice = scoping.practice_get(user=request.user, slug=request.POST.get("practice", ""))
    request.session[scoping.SESSION_PRACTICE_KEY] = practice.id
    messages.info(request, f"Now showing {practice.name}.")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


def home(request: HttpRequest) -> HttpResponse:
    """`/`: signed-out visitors go to the login page, coalition staff to the coalition dashboard, those who may
    read their practice's figures to its dashboard, everyone else (a viewer) to the catalog (DESIGN §3)."""
    if not request.user.is_authenticated:
        return redirect("login")
    if has_right(request.user, None, Right.FIGURES):
        return redirect("/coalition/")
    practice = scoping.current_practice(request)
    if practice is not None and has_right(request.user, practice, Right.FIGURES):
        return redirect("/dashboard/")
    return redirect("/catalog/")


def locked_out(request: HttpRequest, credentials: dict | None = None, *args: object, **kwargs: object) -> HttpResponse:
    """Shown by django-axes after too many failed sign-ins."""
    return render(request, "registration/locked_out.html", status=429)


class SignInView(LoginView):
    """`/accounts/login/`: Django's sign-in form, with every attempt counted per address and per username first."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        wait = sign_in_wait(request, request.POST.get("username"))
        if wait is not None:
            response = render(request, "registration/locked_out.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)
