"""Turn two-factor off for someone who lost their phone and recovery codes; they set it up again at their
next sign-in (when their role requires it) or when they choose."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import audit, twofactor


class Command(BaseCommand):
    help = "Remove a person's authenticator app and recovery codes (they set two-factor up again)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account is called {username!r}.")
        if not twofactor.has_two_factor(user):
            self.stdout.write(f"{username} has no two-factor sign-in set up: nothing to do.")
            return
        twofactor.remove_two_factor(user)
        audit.record(audit.Kind.TWO_FACTOR_REMOVED, None, user=user)
        self.stdout.write(f"Two-factor sign-in removed for {username}; they set it up again at next sign-in.")
