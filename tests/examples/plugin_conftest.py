# The conftest.py at the root of your tests: it loads localserver's fixtures.
# tests/test_docs.py runs the pytest tutorial with this file as its conftest.py.
pytest_plugins = ["localserver.pytest_plugin"]
