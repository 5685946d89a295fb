"""docs/rules.md states every rule the code enforces and the tests prove, and the project points nowhere else.

Every error message starts with a rule id and every test that proves a rule is named by it, so a user must
find each id explained in ``docs/rules.md``: these tests read the ids from the source (``rule="S5"``) and
from the test names (``test_s5_...``) at test time, so a new rule cannot ship without its entry. The
project's text (README, docs, source, examples, tests) must not send a user to documents outside it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "docs" / "rules.md"

# `rule="S5"`, `rule: str = "B4"`, `_RULE: Final = "Y3"`: every way the code names the rule it enforces.
_RULE_IN_CODE = re.compile(r"""\b_?rule\b[^=\n"]*=\s*"([A-Z]\d+)\"""", re.IGNORECASE)
_RULE_IN_TEST_NAME = re.compile(r"^\s*(?:async\s+)?def test_([a-z]\d+)_", re.MULTILINE)
_HEADING = re.compile(r"^### ([A-Z]\d+) · \S", re.MULTILINE)
_ANCHOR = re.compile(r'^<a id="([a-z]\d+)"></a>\n### ([A-Z]\d+) ', re.MULTILINE)
_LINK = re.compile(r"\[([A-Z]\d+)\]\(#([a-z]\d+)\)")

# Built from parts, so that this file does not mention what it looks for.
_OUTSIDE = ("../" + "shared", "shared/" + "docs", "domain" + ".md")
_PROJECT_TEXT = ("README.md", "docs", "src", "examples", "tests", "scripts", "benchmarks", "pyproject.toml")
_SUFFIXES = frozenset({".md", ".py", ".toml", ".json", ".sh", ".cfg", ".ini", ".txt", ".csv", ".xml", ".html"})


def _files(*names: str) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = ROOT / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in _SUFFIXES)
    return [p for p in found if ".egg-info" not in str(p) and "__pycache__" not in p.parts]


def _ids(text: str) -> set[str]:
    return {match.upper() for match in _RULE_IN_CODE.findall(text)}


def _rule_key(rule: str) -> tuple[str, int]:
    return rule[0], int(rule[1:])


def _documented() -> list[str]:
    return _HEADING.findall(RULES.read_text(encoding="utf-8"))


def test_the_code_names_rules_the_way_the_scan_reads_them() -> None:
    # The scan below is only as good as its pattern: it must find the rules of a few known places.
    sample = 'raise ValidationError("x", rule="S5", field="f")\n_RULE: Final = "Y3"\nrule: str = "B4"\n'
    assert _ids(sample) == {"S5", "Y3", "B4"}
    src = "\n".join(p.read_text(encoding="utf-8") for p in _files("src"))
    assert {"C1", "P7", "Y5", "S5", "U1", "A2"} <= _ids(src)


def test_every_rule_the_code_enforces_has_its_entry() -> None:
    src = "\n".join(p.read_text(encoding="utf-8") for p in _files("src"))
    missing = sorted(_ids(src) - set(_documented()), key=_rule_key)
    assert not missing, f"docs/rules.md has no entry for rules the code enforces: {missing}"


def test_every_rule_a_test_is_named_by_has_its_entry() -> None:
    names = "\n".join(p.read_text(encoding="utf-8") for p in _files("tests") if p.suffix == ".py")
    named = {rule.upper() for rule in _RULE_IN_TEST_NAME.findall(names)}
    missing = sorted(named - set(_documented()), key=_rule_key)
    assert not missing, f"docs/rules.md has no entry for rules tests are named by: {missing}"


def test_each_rule_has_one_entry_with_its_anchor_and_a_link_in_the_contents() -> None:
    text = RULES.read_text(encoding="utf-8")
    documented = _documented()
    assert len(documented) == len(set(documented)), "a rule has two entries"
    anchored = _ANCHOR.findall(text)
    assert [heading for _, heading in anchored] == documented, "every entry is preceded by its anchor"
    assert all(anchor == heading.lower() for anchor, heading in anchored)
    links = _LINK.findall(text)
    assert {rule for rule, _ in links} == set(documented), "the contents link every rule"
    assert all(target == rule.lower() for rule, target in links)


@pytest.mark.parametrize("letter", list("CPOYSKBDINUA"))
def test_each_group_is_numbered_without_gaps(letter: str) -> None:
    numbers = sorted(int(rule[1:]) for rule in _documented() if rule[0] == letter)
    assert numbers == list(range(1, len(numbers) + 1)), f"{letter}: {numbers}"


def test_every_entry_says_where_it_lives_and_what_a_caller_sees_or_that_it_is_not_done() -> None:
    text = RULES.read_text(encoding="utf-8")
    entries = re.split(r"^<a id=", text, flags=re.MULTILINE)[1:]
    for entry in entries:
        rule = _HEADING.search(entry)
        assert rule is not None
        assert "- **Source:**" in entry, rule.group(1)
        assert ("- **Refused with:**" in entry and "- **Where:**" in entry) or "- **Not yet:**" in entry, rule.group(1)


def test_the_rules_page_is_linked_from_the_readme() -> None:
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_rules_page_names_no_source_file() -> None:
    text = RULES.read_text(encoding="utf-8").lower()
    assert "seed" not in text
    assert not re.search(r"\[\d{3}\]", text), "a source document is cited by its number"


def test_nothing_in_the_project_points_outside_it() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files(*_PROJECT_TEXT)
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if any(needle in line for needle in _OUTSIDE)
    ]
    assert not offending, f"these lines send a reader outside the project (use docs/rules.md): {offending}"
