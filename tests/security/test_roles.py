"""The editorial roles that website/migrations/0003_editor_roles gives the Editors and Moderators groups:
where their page permissions are held, what they may do with snippets, the moderation workflow, and that
the migration can run again and be reversed."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db.migrations.loader import MigrationLoader
from wagtail.models import GroupPagePermission, Page, Site, WorkflowPage

pytestmark = pytest.mark.django_db

roles = importlib.import_module("website.migrations.0003_editor_roles")


@pytest.fixture(scope="module")
def migration_apps():
    """The models as the migration sees them (what ``migrate`` passes to it)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return loader.project_state(("website", "0003_editor_roles"), at_end=True).apps


def page_permissions(group_name: str) -> set[tuple[str, str]]:
    return {
        (held.page.title, held.permission.codename)
        for held in GroupPagePermission.objects.filter(group__name=group_name).select_related(
            "page", "permission"
        )
    }


def model_permissions(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def state() -> tuple:
    return (
        page_permissions("Editors"),
        page_permissions("Moderators"),
        model_permissions("Editors"),
        model_permissions("Moderators"),
        sorted(WorkflowPage.objects.values_list("page_id", "workflow_id")),
    )


def test_editors_add_and_change_pages_of_the_site_but_never_publish(home_page):
    assert page_permissions("Editors") == {("Home", "add_page"), ("Home", "change_page")}
    assert {
        "episodes.add_audiofile",
        "episodes.change_audiofile",
        "episodes.add_person",
        "episodes.change_person",
        "transcripts.change_transcript",
        "wagtailadmin.access_admin",
    } <= model_permissions("Editors")
    assert not {"episodes.delete_audiofile", "auth.change_user", "wagtailcore.add_site"} & model_permissions(
        "Editors"
    )


def test_moderators_also_publish_lock_and_delete_snippets(home_page):
    assert page_permissions("Moderators") == {
        ("Home", codename)
        for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
    }
    assert {"episodes.delete_audiofile", "episodes.delete_person"} <= model_permissions("Moderators")
    assert not {"auth.change_user", "wagtailcore.add_site", "wagtailcore.add_workflow"} & model_permissions(
        "Moderators"
    )


def test_what_is_submitted_under_the_home_page_goes_to_the_moderators(home_page):
    workflow = home_page.get_workflow()

    assert workflow is not None and workflow.active
    groups = {group.name for task in workflow.tasks for group in task.specific.groups.all()}
    assert groups == {"Moderators"}


def test_running_it_again_changes_nothing(home_page, migration_apps):
    before = state()

    roles.grant(migration_apps, None)

    assert state() == before


def test_a_publish_permission_given_to_editors_is_taken_back(home_page, migration_apps):
    """Bad input: someone gave Editors the publish permission on a show; the migration removes it."""
    GroupPagePermission.objects.create(
        group=Group.objects.get(name="Editors"), page=home_page, permission_type="publish"
    )

    roles.grant(migration_apps, None)

    assert ("Home", "publish_page") not in page_permissions("Editors")


def test_a_site_without_a_moderation_workflow_gets_one_on_its_home_page(home_page, migration_apps):
    WorkflowPage.objects.all().delete()
    assert home_page.get_workflow() is None

    roles.grant(migration_apps, None)

    workflow = Page.objects.get(pk=home_page.pk).get_workflow()
    assert WorkflowPage.objects.get(page=home_page).workflow == workflow
    assert [group.name for task in workflow.tasks for group in task.specific.groups.all()] == ["Moderators"]


def test_reversing_moves_page_permissions_back_to_the_root_and_again(home_page, migration_apps):
    before = state()

    roles.revoke(migration_apps, None)

    assert page_permissions("Editors") == {("Root", "add_page"), ("Root", "change_page")}
    assert "episodes.add_audiofile" not in model_permissions("Editors")
    assert "transcripts.change_transcript" in model_permissions("Editors")  # transcripts/0003's own
    roles.grant(migration_apps, None)
    assert state() == before
    assert Site.objects.get(is_default_site=True).root_page_id == home_page.pk
