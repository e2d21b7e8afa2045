"""Every `# type: ignore` in the package names the error it silences and says why (issue #19).

A bare ignore hides any error on its line, including ones added later; a code without a reason
leaves the next reader to rediscover why the checker cannot follow. So each one must read
`# type: ignore[code]  # reason` on a single line. The files are scanned as text, so the test
needs neither mypy nor an import of the package.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tianping"

IGNORE = re.compile(r"#\s*type:\s*ignore")
# one or more error codes in brackets, then a comment with some text in it
JUSTIFIED = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*\]\s*#\s*\S")


def unjustified_ignores(root: Path) -> list[str]:
    """`file:line: text` of each type-ignore under `root` without a bracketed code and a reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if IGNORE.search(line) and not JUSTIFIED.search(line):
                found.append(f"{path.relative_to(root.parent.parent)}:{number}: {line.strip()}")
    return found


def test_every_type_ignore_has_a_code_and_a_reason():
    found = unjustified_ignores(PACKAGE)
    assert not found, "write `# type: ignore[code]  # why` (or fix the type):\n" + "\n".join(found)


def test_the_check_tells_justified_from_bare_ignores(tmp_path):
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "m.py").write_text(
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[assignment]\n"
        "c = 3  # type: ignore[assignment]  #\n"
        "d = 4  # type: ignore  # a reason but no code\n"
        "e = 5  # type: ignore[assignment]  # a stub declares it as str\n"
        "f = 6  # type: ignore[arg-type, return-value]  # two codes, one reason\n"
        "g = 7\n",
        encoding="utf-8",
    )
    lines = [entry.split(":")[1] for entry in unjustified_ignores(pkg)]
    assert lines == ["1", "2", "3", "4"]
