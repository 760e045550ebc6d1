from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from .models import Interest

PAGE = b"<!doctype html><html lang='nb'><title>Selvhjelp</title><h1>Selvhjelp</h1></html>"


class InterestForm(forms.ModelForm):
    class Meta:
        model = Interest
        fields = ["name", "email", "phone", "about"]


def plain(request):
    """The info pages: a plain response."""
    return HttpResponse(PAGE)


def interest(request):
    """GET: a template with a four-field form. POST: validate, one INSERT, redirect."""
    form = InterestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        saved = form.save()
        return redirect("done", pk=saved.pk)
    return render(request, "form.html", {"form": form})


def done(request, pk):
    return HttpResponse(b"<!doctype html><title>Takk</title><p>Takk</p>")


urlpatterns = [
    path("", plain),
    path("meld-interesse/", interest),
    path("meld-interesse/takk/<int:pk>/", done, name="done"),
]
