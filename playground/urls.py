"""URL routes for HTTP; WebSocket routes live in ``playground.routing``."""

from django.urls import path

from playground import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/health", views.health, name="health"),
]
