"""Mission Control's views; each is wrapped by the admin site in :mod:`mission_control.admin`."""
