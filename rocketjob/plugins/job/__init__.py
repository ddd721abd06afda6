"""The plugins every job is composed of (see :class:`rocketjob.Job`)."""
