"""REST routes of this app (mounted under /api/)."""

from rest_framework.routers import SimpleRouter

from vendors.api import VendorViewSet

router = SimpleRouter()
router.register("vendors", VendorViewSet, basename="vendor")

urlpatterns = router.urls
