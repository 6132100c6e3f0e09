from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gpo.members"
    label = "members"
    verbose_name = "Members"
