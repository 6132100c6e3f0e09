"""Root URL configuration: pages, the admin and the REST API (DESIGN.md section 7)."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gpo.members import api as members_api
from gpo.members import views as members_views

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", members_api.TokenObtainView.as_view(), name="api-token"),
    path("me/", members_api.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("vendors.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("", members_views.home, name="home"),
    # Before Django's own: the sign-in form throttled per address and per username (gpo/members/sign_in_throttle.py).
    path("accounts/login/", members_views.SignInView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("practice/pick/", members_views.practice_pick, name="practice-pick"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("billing/", include("gpo.billing.urls")),
    path("catalog/", include("contracts.catalog_urls")),
    path("catalog/", include("vendors.urls")),
    path("catalog/contracts/", include("contracts.urls")),
    path("", include("reports.urls")),
]

# Error answers without internals, JSON under /api/ (gpo/error_pages.py).
handler400 = "gpo.error_pages.bad_request"
handler403 = "gpo.error_pages.permission_denied"
handler404 = "gpo.error_pages.page_not_found"
handler500 = "gpo.error_pages.server_error"
