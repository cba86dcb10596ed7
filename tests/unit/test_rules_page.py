"""docs/rules.md is the product's rule book: every rule a test claims to prove is on it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_ROW = re.compile(r"^\| (R\d+) \| .+ \|$", re.MULTILINE)
RULE_MARKER = re.compile(r"mark\.rule\(([^)]*)\)")  # its arguments, over several lines too
RULE_ID = re.compile(r"[\"']([^\"']+)[\"']")


def _rules_on_the_page() -> list[str]:
    return RULE_ROW.findall((ROOT / "docs" / "rules.md").read_text(encoding="utf-8"))


def _rule_ids_named_by_tests() -> dict[str, set[str]]:
    """Every id passed to `pytest.mark.rule(...)` in the test files, with where it is named."""
    # Read as text, not with ast.parse: CPython 3.11.7's parser can raise SystemError ("AST
    # constructor recursion depth mismatch") while another thread of the run compiles.
    named: dict[str, set[str]] = {}
    for path in ROOT.glob("**/test_*.py"):
        if ".venv" in path.parts:
            continue
        for marker in RULE_MARKER.findall(path.read_text(encoding="utf-8")):
            for rule in RULE_ID.findall(marker):
                named.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    return named


def test_the_rules_page_lists_r1_to_r28_once_each_in_order() -> None:
    assert _rules_on_the_page() == [f"R{n}" for n in range(1, 29)]


def test_every_rule_a_test_claims_to_prove_is_on_the_rules_page() -> None:
    on_page = set(_rules_on_the_page())
    named = _rule_ids_named_by_tests()
    unknown = {rule: sorted(files) for rule, files in named.items() if rule not in on_page}
    assert named, "no test names a rule: the marker search is broken"
    assert unknown == {}
