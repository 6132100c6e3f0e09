"""REST routes of this app (mounted under /api/)."""

from rest_framework.routers import SimpleRouter

from contracts.api import ContractViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")

urlpatterns = router.urls
