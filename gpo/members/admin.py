"""Admin for practices and memberships (coalition staff)."""

from django.contrib import admin

from gpo.members.models import Membership, Practice, PracticeLocation


class PracticeLocationInline(admin.TabularInline):
    model = PracticeLocation
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "membership_status", "stripe_customer_id"]
    list_filter = ["membership_status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PracticeLocationInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "practice"]
    list_filter = ["role", "practice"]
    search_fields = ["user__username", "user__email", "practice__name"]
    autocomplete_fields = ["user", "practice"]
