"""A minimal Django project whose tests use the mixins: ``python manage.py test`` here.

``tests/test_mixin_runners.py`` runs it and checks the number of tests that passed.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
