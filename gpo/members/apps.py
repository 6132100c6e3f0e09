from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps


class MembersConfig(AppConfig):
    name = "gpo.members"
    label = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from gpo.members import checks  # noqa: F401  registers the deployment check

        post_migrate.connect(_coalition_admin_group, sender=self)


def _coalition_admin_group(sender: AppConfig, apps: Any = global_apps, **kwargs: Any) -> None:
    """After every migrate and flush: the coalition admins' group as migration 0002 made it."""
    from gpo.members.admin_group import group_sync

    group_sync(apps)
