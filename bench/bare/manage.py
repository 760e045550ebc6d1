#!/usr/bin/env python
"""The bare Django app the HTTP benchmark compares the portal with (bench/http.py)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bare.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
