"""The one exception type for errors a user can cause.

Every message names where the problem is (file, line, field) so that the CLI can print it
and exit with code 2, and the API can turn it into a problem+json body, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One located problem in user input."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict:
        return {"message": self.message, "file": self.file, "line": self.line, "field": self.field}


class TianpingError(Exception):
    """An error in user input or configuration; never a bug in Tianping itself."""

    def __init__(self, problems: list[Problem] | Problem | str, *, title: str = "invalid input"):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        self.title = title
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    def as_dict(self) -> dict:
        return {"title": self.title, "problems": [p.as_dict() for p in self.problems]}


@dataclass
class ProblemList:
    """Collects problems during a validation pass and raises them together."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(message, file=file, line=line, field=field))

    def raise_if_any(self, title: str = "invalid input") -> None:
        if self.problems:
            raise TianpingError(self.problems, title=title)
