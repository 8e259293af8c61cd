"""One example suite, run by unittest, nose2 (also multiprocess) and pytest in CI.

``tests/test_mixin_runners.py`` runs it in subprocesses and checks the exact
number of tests that passed; keep ``EXPECTED_TESTS`` in step with the tests here.
"""

EXPECTED_TESTS = 9
