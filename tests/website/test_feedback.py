"""The 'we want to hear from you' form: kept in the admin, private, and closed to robots."""

import pytest
from wagtail.contrib.forms.models import FormSubmission

from website.factories import FeedbackFormPageFactory
from website.models import HONEYPOT_FIELD

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback_page(home_page):
    return FeedbackFormPageFactory(parent=home_page)


def post(client, page, **extra):
    data = {"your_name": "Sam", "email": "sam@example.org", "message": "More on self-care, please."}
    data.update(extra)
    return client.post(page.url, data)


def test_a_submission_is_kept_and_the_email_is_not_shown_back(client, feedback_page):
    response = post(client, feedback_page)

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert "sam@example.org" not in response.content.decode()
    submission = FormSubmission.objects.get(page=feedback_page)
    assert submission.get_data()["email"] == "sam@example.org"
    assert HONEYPOT_FIELD not in submission.form_data


def test_the_honeypot_filled_in_keeps_nothing_and_looks_like_success(client, feedback_page):
    response = post(client, feedback_page, **{HONEYPOT_FIELD: "http://spam.example"})

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert not FormSubmission.objects.exists()


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client, feedback_page):
    html = client.get(feedback_page.url).content.decode()
    assert f'name="{HONEYPOT_FIELD}"' in html
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'tabindex="-1"' in html


def test_an_invalid_submission_shows_errors_and_keeps_nothing(client, feedback_page):
    response = post(client, feedback_page, email="not-an-email")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not FormSubmission.objects.exists()


def test_submissions_are_listed_in_the_admin_for_editors(admin_client, feedback_page):
    post(admin_client, feedback_page)
    response = admin_client.get(f"/admin/forms/submissions/{feedback_page.pk}/")
    assert response.status_code == 200
    assert "sam@example.org" in response.content.decode()
