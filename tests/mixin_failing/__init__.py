"""Failing on purpose: proves each runner reports a failure on the test that caused it.

Not collected by the main test run (no ``test_`` module); ``tests/test_mixin_runners.py``
runs it in subprocesses.
"""
