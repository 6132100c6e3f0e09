"""REST routes of this app (mounted under /api/)."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
