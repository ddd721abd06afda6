"""Mission Control: the operations UI for django-rocketjob inside the Django admin."""
