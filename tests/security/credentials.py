"""A credential scanner for the repository's files: patterns, an allow-list with reasons, findings.

What counts as a credential: an AWS access key id, a private key block, a GCP service-account key
file, a bearer token, a URL with ``user:password@``, and a literal value assigned to a name that
says password, secret, token, key or credentials (in YAML, TOML, Python, shell, Markdown alike).
A ZenML secret reference (``{{secret.key}}``), an empty value and an obvious placeholder (``...``,
``<key>``, ``${VAR}``) are not credentials.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "private key block": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "GCP service-account key": re.compile(r"[\"']type[\"']\s*:\s*[\"']service_account[\"']"),
    "GCP private key id": re.compile(r"[\"']private_key_id[\"']\s*:\s*[\"'][0-9a-f]{20,}[\"']"),
    "bearer token": re.compile(r"\bBearer\s+[A-Za-z0-9\-._~+/]{12,}=*"),
    "URL with user:password@": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"<>{}]+:[^/\s@'\"<>{}]+@[\w.-]"),
    "GitHub or Slack token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})\b"),
}

#: A name that holds a credential: ..._password, secret, api_key, aws_secret_access_key, token, ...
CREDENTIAL_NAME = (
    r"[A-Za-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
    r"[A-Za-z0-9_-]*"
)
#: ``name = "value"``, ``name: value``, ``"name": "value"``, ``--name=value`` with a literal value.
ASSIGNMENT = re.compile(
    rf"(?i)(?P<name>\b{CREDENTIAL_NAME})[\"']?\s*(?::|=(?!=))\s*(?:(?P<q>[\"'])(?P<quoted>[^\"'\n]*)(?P=q)|(?P<bare>[^\s,;)\]}}#]+))"
)
#: Names that hold where or which credential, not the credential itself.
NOT_A_CREDENTIAL = re.compile(
    r"(?i)(?:name|names|path|file|dir|url|uri|ref|reference|type|prefix|marker|field|fields|count|length|env|var"
    r"|source|id_attr|scope|expiry|expires_at|enabled|version)$"
)
#: Values that are not literals: references, placeholders, empty strings, code (calls, attributes, names).
NOT_A_LITERAL = re.compile(
    r"^(?:|\.\.\.|\{\{\s*[\w.-]+\.[\w-]+\s*\}\}|<[^>]*>|\$\{?\w+\}?|\$\(.*\)|None|null|~|true|false|\[\]|\{\}|\*+)$",
    re.IGNORECASE,
)
PYTHON_LIKE = {".py", ".pyi"}
#: What may stand before an unquoted ``name: value`` or ``name=value`` for it to be a setting.
BARE_VALUE_PREFIX = re.compile(r"\s*(?:-\s+)?(?:export\s+)?|.*\s--|.*\s-e\s+")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text.strip()[:160]}"


@dataclass(frozen=True)
class Allowed:
    """A finding that is not a credential, and why: matched by file and a fragment of the line."""

    path: str
    fragment: str
    reason: str


def _assignment_findings(path: str, number: int, line: str) -> list[Finding]:
    found = []
    for match in ASSIGNMENT.finditer(line):
        name = match.group("name")
        if NOT_A_CREDENTIAL.search(name):
            continue
        quoted, bare = match.group("quoted"), match.group("bare")
        if quoted is None and Path(path).suffix in PYTHON_LIKE:
            continue  # Python: only a string literal is a literal (``token = make_token()`` is code)
        if quoted is None and bare is not None and not re.fullmatch(r"[\w./+=@-]+", bare):
            continue  # code or prose, not a value
        if quoted is None and not BARE_VALUE_PREFIX.fullmatch(line[: match.start()]):
            continue  # an unquoted value counts as YAML/TOML/shell (``key: v``, ``export K=v``, ``--k=v``), not prose
        value = (quoted if quoted is not None else bare or "").strip()
        if NOT_A_LITERAL.fullmatch(value):
            continue
        if quoted is None and re.fullmatch(r"[A-Za-z_][\w.]*(?:\(\))?", value) and "." in value:
            continue  # an attribute such as ``secret: config.password``
        found.append(Finding(path, number, f"literal value for '{name}'", line))
    return found


def scan_text(path: str, text: str) -> list[Finding]:
    """Every credential-looking place in one file's text."""
    findings: list[Finding] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            if pattern.search(line):
                findings.append(Finding(path, number, kind, line))
        findings.extend(_assignment_findings(path, number, line))
    return findings


def tracked_files(root: Path) -> list[str]:
    """The repository's git-tracked files (stacks, configs, code, docs, lock files)."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def scan_files(root: Path, paths: list[str], allowed: list[Allowed]) -> tuple[list[Finding], set[Allowed]]:
    """Findings in ``paths`` not explained by ``allowed``, and the allow-list entries that were used."""
    findings, used = [], set()
    for name in paths:
        file = root / name
        if not file.is_file():
            continue  # deleted in the working copy, not yet committed
        text = file.read_bytes().decode("utf-8", errors="replace")
        for finding in scan_text(name, text):
            reasons = [a for a in allowed if a.path == finding.path and a.fragment in finding.text]
            if reasons:
                used.update(reasons)
            else:
                findings.append(finding)
    return findings, used
