"""Root conftest: the fixtures every test tier shares live in tests/support."""

import ast
import threading
from typing import Any

from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.support.fixtures", "tests.support.system_fixtures"]

# Property tests judge rules, not speed: on a busy 2-core machine (several suites at once)
# generating examples can be slow, which is no failure of the rule under test.
settings.register_profile(
    "cnnect", deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
settings.load_profile("cnnect")

# CPython 3.11.7 keeps the AST converter's recursion depth per interpreter, not per thread:
# two threads parsing at once (werkzeug compiles each URL rule with `ast.parse`; a test's app
# built while a background thread of the suite builds another) can fail one of them with
# "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905, fixed in later
# releases). In the test process, parsing goes one thread at a time.
_ast_parse = ast.parse
_ast_lock = threading.Lock()


def _parse_one_at_a_time(*args: Any, **kwargs: Any) -> Any:
    with _ast_lock:
        return _ast_parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
