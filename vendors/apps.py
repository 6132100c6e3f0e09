from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors"

    def ready(self) -> None:
        from vendors.models import Category, Vendor, VendorAlias
        from vendors.services import catalog_version_bump_on_write

        for model in (Vendor, Category, VendorAlias):
            post_save.connect(
                catalog_version_bump_on_write, sender=model, dispatch_uid=f"catalog-version-{model.__name__}"
            )
            post_delete.connect(
                catalog_version_bump_on_write, sender=model, dispatch_uid=f"catalog-version-del-{model.__name__}"
            )
