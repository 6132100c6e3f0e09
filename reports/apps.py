from django.apps import AppConfig


def _rereconcile_on_catalog_change(vendor_ids: set[int]) -> None:
    """DESIGN §4: when a contract or price changes, the affected lines are reconciled again (in the background)."""
    from reports.tasks import lines_rereconcile_for_vendors

    lines_rereconcile_for_vendors.delay(sorted(vendor_ids))


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from contracts.changes import catalog_listener_register

        catalog_listener_register(_rereconcile_on_catalog_change)
