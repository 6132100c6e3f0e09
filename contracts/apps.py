from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        # Contract documents and who may join are saved by the admin directly, not through the catalog services
        # (which replace the catalog version themselves): cached catalog pages show both, so these writes replace it
        # too (vendors.services.catalog_version_bump_on_write).
        from contracts.models import Contract, ContractDocument
        from vendors.services import catalog_version_bump_on_write

        post_save.connect(catalog_version_bump_on_write, sender=ContractDocument, dispatch_uid="catalog-version-doc")
        post_delete.connect(
            catalog_version_bump_on_write, sender=ContractDocument, dispatch_uid="catalog-version-doc-del"
        )
        m2m_changed.connect(
            catalog_version_bump_on_write,
            sender=Contract.eligible_practices.through,
            dispatch_uid="catalog-version-eligible",
        )
