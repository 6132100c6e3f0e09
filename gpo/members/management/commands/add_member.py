"""`add_member USERNAME --role ROLE [--practice SLUG] [--email E] [--password P]` (DESIGN.md section 7)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gpo.members.models import Practice, Role
from gpo.members.services import member_add


class Command(BaseCommand):
    help = "Create a user (or find an existing one) and give them a role in a practice or in the coalition."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--practice", help="Practice slug (required for viewer, finance, executive).")
        parser.add_argument("--email", default="")
        parser.add_argument("--password")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = None
        if options["practice"]:
            practice = Practice.objects.filter(slug=options["practice"]).first()
            if practice is None:
                raise CommandError(f"No practice with slug {options['practice']!r}.")
        try:
            membership = member_add(
                username=options["username"],
                role=options["role"],
                practice=practice,
                email=options["email"],
                password=options["password"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        where = f" in {practice.slug}" if practice else " (coalition)"
        self.stdout.write(self.style.SUCCESS(f"{membership.user.get_username()}: {membership.role}{where}"))
