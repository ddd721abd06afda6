"""Job plugins: mixins that add fields, callbacks, validations and methods to a job.

The always-on plugins live in :mod:`rocketjob.plugins.job`; the opt-in ones (Cron, Singleton,
Retry, ...) each live in a module of their own here. Methods and fields private to a plugin
carry a ``rocketjob_`` prefix so mixins never collide with each other or with user fields.
"""
