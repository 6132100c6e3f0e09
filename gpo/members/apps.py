from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gpo.members"
    label = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from gpo.members import checks  # noqa: F401  registers the deployment check
