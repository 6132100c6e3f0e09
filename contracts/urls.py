"""Pages of this app, mounted at /catalog/contracts/."""

from django.urls import path

from contracts import views

urlpatterns = [
    path("<int:pk>/", views.contract_detail, name="contract-detail"),
    path("number/<str:number>/", views.contract_by_number, name="contract-by-number"),
]
