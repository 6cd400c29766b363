"""The editorial roles (see docs/editors.md, "Who can do what").

Wagtail's own migrations make the Editors and Moderators groups with page permissions on the tree's root,
admin access and image and document permissions, and a "Moderators approval" workflow on the root page.
This makes them fit this site:

- both groups' page permissions are held on the site's home page instead of the root, so that they reach
  this site's pages and nothing above it;
- Editors may add and change pages but never publish; Moderators may also publish, lock and unlock;
- both may upload and edit audio and people (snippets) and see and hide concept mentions (Moderators may
  also delete audio and people); transcripts are granted in transcripts/0003;
- a moderation workflow whose task Moderators approve covers the home page, so that an editor's "Submit
  for moderation" goes to the Moderators. Wagtail's default workflow does that already; one is made only
  when no workflow covers the home page.

Neither group gets users, groups, sites, workflows, redirects or search promotions: those are the
administrators' (superusers'). Running it again changes nothing. Reversing it moves the page permissions
back to the root and takes back the snippet and mention permissions; the workflow and the removal of any
publish permission from Editors are left as they are.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

EDITORS, MODERATORS = "Editors", "Moderators"
PAGE_PERMISSIONS = {
    EDITORS: ["add_page", "change_page"],
    MODERATORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
MODEL_PERMISSIONS = {
    EDITORS: {
        "episodes": ["add_audiofile", "change_audiofile", "view_audiofile"]
        + ["add_person", "change_person", "view_person"],
        "concepts": ["change_mention", "view_mention"],
    },
    MODERATORS: {
        "episodes": ["add_audiofile", "change_audiofile", "delete_audiofile", "view_audiofile"]
        + ["add_person", "change_person", "delete_person", "view_person"],
        "concepts": ["change_mention", "view_mention"],
    },
}
WORKFLOW_NAME = "Moderators approval"  # the name Wagtail gives its default workflow and task


def ensure_model_permissions(apps):
    """Permissions are made after all migrations; make these apps' now so that they can be granted."""
    for label in ("episodes", "concepts", "wagtailcore"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def home_page(apps):
    Site = apps.get_model("wagtailcore", "Site")
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page if site else None


def model_permissions(apps, group_name):
    Permission = apps.get_model("auth", "Permission")
    q = Q(pk__in=[])
    for app_label, codenames in MODEL_PERMISSIONS[group_name].items():
        q |= Q(content_type__app_label=app_label, codename__in=codenames)
    return Permission.objects.filter(q)


def page_permission(apps, codename):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(
        content_type__app_label="wagtailcore", content_type__model="page", codename=codename
    )


def move_page_permissions(apps, group, source, target):
    """Move the group's permissions held on ``source`` to ``target`` (kept where target has them)."""
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    for held in GroupPagePermission.objects.filter(group=group, page=source):
        GroupPagePermission.objects.get_or_create(group=group, page=target, permission_id=held.permission_id)
        held.delete()


def grant(apps, schema_editor):
    ensure_model_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    home = home_page(apps)
    root = Page.objects.filter(depth=1).first()
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")

    for name in (EDITORS, MODERATORS):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin, *model_permissions(apps, name))
        if home is None:
            continue  # no site yet: Wagtail's permissions on the root stay until there is one
        if root is not None and root.pk != home.pk:
            move_page_permissions(apps, group, root, home)
        for codename in PAGE_PERMISSIONS[name]:
            GroupPagePermission.objects.get_or_create(
                group=group, page=home, permission=page_permission(apps, codename)
            )

    # Editors submit for moderation; they never publish, wherever a permission was given.
    GroupPagePermission.objects.filter(
        group__name=EDITORS, permission__codename__in=["publish_page", "bulk_delete_page"]
    ).delete()

    if home is not None:
        ensure_workflow(apps, home, Group.objects.get(name=MODERATORS))


def ensure_workflow(apps, home, moderators):
    """A moderation workflow that Moderators approve, on the home page, unless one covers it already."""
    Page = apps.get_model("wagtailcore", "Page")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    ancestors = [home.path[:end] for end in range(4, len(home.path) + 1, 4)]  # Wagtail's steplen is 4
    covering = Page.objects.filter(path__in=ancestors)
    if WorkflowPage.objects.filter(page__in=covering, workflow__active=True).exists():
        return

    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(active=True, groups=moderators).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=WORKFLOW_NAME, content_type=task_type, active=True)
        task.groups.set([moderators])
    workflow = Workflow.objects.filter(active=True, workflow_tasks__task=task).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    home = home_page(apps)
    root = Page.objects.filter(depth=1).first()
    for group in Group.objects.filter(name__in=[EDITORS, MODERATORS]):
        group.permissions.remove(*model_permissions(apps, group.name))
        if home is not None and root is not None and root.pk != home.pk:
            move_page_permissions(apps, group, home, root)


class Migration(migrations.Migration):
    dependencies = [
        ("website", "0002_create_homepage"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("episodes", "0005_pull_quote_time"),
        ("concepts", "0002_learningpathpage"),
        ("transcripts", "0003_review_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
