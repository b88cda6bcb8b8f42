"""Credentials passed on a command line: `curl -u user:pass`, `--password=...`, `mysql -pSECRET`,
`sshpass -p secret`, `redis-cli -a secret`.

A shell script, Makefile, Dockerfile or CI step that logs in this way holds the password in plain
text as surely as an assignment does, but no `name = "value"` pattern sees it. Only the value span
is returned; `rules` grades it like any other value (a variable reference such as `"$DB_PASS"` is a
reference, not a secret). Look-alikes that stay quiet: `mysql -p` alone (it prompts), `curl -u
user` without a colon (it prompts), `--password-file`, `--password-stdin`.
"""

from __future__ import annotations

import re

_QUOTED = r"(?:\"(?P<{0}d>[^\"\s]{{1,256}})\"|'(?P<{0}s>[^'\s]{{1,256}})'|(?P<{0}u>[^\s\"'`;|&)]{{1,256}}))"
_PATTERNS = (
    # curl / wget / httpie style user:password
    re.compile(
        r"(?:^|[\s\"'(])(?:curl|wget|http|https)\b[^\n]{0,200}?\s(?:-u|--user|--proxy-user)"
        r"(?:=|\s+)[\"']?[^\s:\"']{1,80}:" + _QUOTED.format("a")
    ),
    # --password=..., --password ..., --passwd, --db-password, --api-key, --token
    re.compile(
        r"(?:^|\s)--(?:[a-z]+-)?(?:password|passwd|pass|token|api-key|secret)(?:=|\s+)"
        + _QUOTED.format("b")
    ),
    # mysql -pSECRET (no space: with a space mysql prompts and takes the word as a database)
    re.compile(
        r"(?:^|[\s\"'(])(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]{0,200}?\s-p"
        + _QUOTED.format("c")
    ),
    # sshpass -p secret, redis-cli -a secret
    re.compile(
        r"(?:^|[\s\"'(])(?:sshpass\s+-p|redis-cli\b[^\n]{0,200}?\s-a)\s*" + _QUOTED.format("e")
    ),
)
_FLAG_NAME = {"a": "curl -u", "b": "--password", "c": "mysql -p", "e": "sshpass -p"}


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, flag) of values given to credential flags on this line."""
    if "-" not in text:
        return []
    found = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            for group, value in match.groupdict().items():
                if value is not None:
                    start, end = match.span(group)
                    found.append((start, end, _FLAG_NAME[group[0]]))
    return found
