"""People of each role, signing in through the real admin login form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

PASSWORD = "a long and unusual passphrase"
LOGIN = "/admin/login/"


@pytest.fixture
def people(db, django_user_model):
    def make(username, group=None, superuser=False):
        user = django_user_model.objects.create_user(
            username, f"{username}@example.org", PASSWORD, is_superuser=superuser, is_staff=superuser
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "editor": make("edith", "Editors"),
        "moderator": make("morgan", "Moderators"),
        "administrator": make("ada", superuser=True),
    }


def sign_in(client, username, password=PASSWORD, **headers):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **headers)


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200
