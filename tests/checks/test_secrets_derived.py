"""Secrets no single line shows (built strings, credential tuples, notebook cells, command-line
flags, a token split over two lines) and the false blocks removed: test vectors, shared env files,
a placeholder-looking word inside a random value. Values are generated at run time."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Mapping

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.secrets import rules as sr
from crewchief.gate.checks.secrets.check import CHECK
from crewchief.gate.findings import Finding, Severity
from crewchief.spec.policy import Policy

ALNUM = string.ascii_letters + string.digits


def fake(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rnd = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rnd.choice(alphabet) for _ in range(n))


def run(head: Mapping[str, str], base: Mapping[str, str] | None = None) -> list[Finding]:
    return CHECK.run(CheckContext(Change.from_files(base or {}, head), Policy()))


def blocking(found: list[Finding]) -> list[tuple[str, int | None]]:
    return sorted((f.rule, f.line) for f in found if f.blocking)


GHP = "ghp_" + fake(36, seed=3)


def test_concatenated_token_blocks_at_its_line() -> None:
    code = f'import os\n\nTOKEN = "{GHP[:10]}" + "{GHP[10:]}"\n'
    assert blocking(run({"app/client.py": code})) == [("github-token", 3)]


def test_token_split_over_two_lines_blocks() -> None:
    code = f'HEADERS = {{\n    "Authorization": (\n        "{GHP[:20]}"\n        "{GHP[20:]}"\n    ),\n}}\n'
    found = run({"app/client.py": code})
    assert [f.rule for f in found if f.blocking] == ["github-token"]


def test_secret_built_from_a_module_constant_and_join() -> None:
    key = fake(32, seed=5)
    code = f'PREFIX = "{key[:8]}"\nAPI_KEY = "".join([PREFIX, "{key[8:]}"])\n'
    assert blocking(run({"svc/settings.py": code})) == [("secret-assignment", 2)]


def test_credential_tuple_passed_as_auth() -> None:
    code = 'import requests\n\nrequests.get(URL, auth=("deploy", "Kq8mZ2vLpX9w"))\n'
    [finding] = run({"svc/fetch.py": code})
    assert finding.rule in ("hardcoded-password", "secret-assignment") and finding.line == 3
    strong = f'requests.get(URL, auth=("deploy", "{fake(24, seed=7)}"))\n'
    assert blocking(run({"svc/fetch.py": strong})) == [("secret-assignment", 1)]


def test_dict_value_built_by_concatenation() -> None:
    code = f'CONFIG = {{"client_secret": "{fake(12, seed=9)}" + "{fake(14, seed=10)}"}}\n'
    assert blocking(run({"svc/conf.py": code})) == [("secret-assignment", 1)]


@pytest.mark.parametrize(
    "code",
    [
        'TOKEN = os.environ["TOKEN"] + "suffix"\n',
        'URL = "https://api.example.com/" + "v1/items"\n',
        "requests.get(URL, auth=(user, password))\n",
        'requests.get(URL, auth=("user", os.environ["PW"]))\n',
        'LABEL = "api" + "_key"\n',
        'MESSAGE = ("Set the GITHUB_TOKEN variable "\n           "before running this script.")\n',
    ],
)
def test_built_strings_that_are_not_secrets_stay_quiet(code: str) -> None:
    assert run({"svc/x.py": "import os\n" + code}) == []


def test_notebook_cell_with_escaped_quotes_is_unescaped() -> None:
    key = fake(40, seed=11)
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Fetch data\n"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "outputs": [],
                "source": ["import requests\n", f'api_key = "{key}"\n', "requests.get(URL)\n"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(notebook, indent=1)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "api_key" in t)
    assert blocking(run({"analysis.ipynb": text})) == [("secret-assignment", line)]


def test_notebook_reading_the_environment_is_quiet() -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "source": ["import os\n", 'api_key = os.environ["API_KEY"]\n'],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    assert run({"analysis.ipynb": json.dumps(notebook, indent=1)}) == []


@pytest.mark.parametrize(
    "line",
    [
        f"curl -u admin:{fake(16, seed=12)} https://ci.internal/api",
        f"mysql -uroot -p{fake(14, seed=13)} app < dump.sql",
        f'sshpass -p "{fake(14, seed=14)}" ssh deploy@host',
        f"./manage --db-password={fake(18, seed=15)} migrate",
    ],
)
def test_command_line_credentials_in_a_script(line: str) -> None:
    found = run({"scripts/deploy.sh": f"#!/bin/sh\nset -e\n{line}\n"})
    assert [(f.rule, f.line) for f in found] == [("secret-assignment", 3)]


@pytest.mark.parametrize(
    "line",
    [
        'curl -u "$CI_USER:$CI_TOKEN" https://ci.internal/api',
        "curl -u admin https://ci.internal/api",
        "mysql -u root -p app",
        'mysql -uroot -p"$MYSQL_PWD" app',
        'sshpass -p "$SSHPASS" ssh deploy@host',
        "docker login --password-stdin < token.txt",
        "./manage --password-file=/run/secrets/db migrate",
    ],
)
def test_command_lines_that_take_credentials_from_elsewhere_stay_quiet(line: str) -> None:
    assert run({"scripts/deploy.sh": f"#!/bin/sh\n{line}\n"}) == []


def test_mailgun_style_key() -> None:
    key = "key-" + fake(32, "0123456789abcdef", seed=16)
    assert blocking(run({"app/mail.py": f'MAILGUN = "{key}"\n'})) == [("mailgun-api-key", 1)]
    assert (
        run(
            {
                "app/mail.py": 'DOC = "the key-value store"\nK = "key-00000000000000000000000000000000"\n'
            }
        )
        == []
    )


def test_placeholder_word_inside_a_random_value_does_not_hide_it() -> None:
    value = fake(14, seed=17) + "example" + fake(19, seed=18)
    assert sr.value_strength(value, password_like=False) == "strong"
    assert blocking(run({"app/s.py": f'API_KEY = "{value}"\n'})) == [("secret-assignment", 1)]
    for placeholder in ("your-api-key-here", "example-secret-token", "REPLACE_WITH_YOUR_KEY"):
        assert sr.value_strength(placeholder, password_like=False) is None


# RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?", HMAC-SHA-256 digest.
RFC4231_DIGEST = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_published_test_vector_compared_in_a_test_is_not_a_block() -> None:
    test = (
        "import hmac\n\nfrom app.signing import sign\n\n"
        f'EXPECTED_TOKEN = "{RFC4231_DIGEST}"\n\n\n'
        "def test_rfc4231_case_2():\n"
        '    assert sign(b"Jefe", b"what do ya want for nothing?") == EXPECTED_TOKEN\n'
    )
    found = run({"tests/test_signing.py": test})
    assert [(f.rule, f.severity, f.blocking) for f in found] == [
        ("secret-assignment", Severity.LOW, False)
    ]
    inline = f'def test_x():\n    assert sign(KEY, DATA).hex() == "{RFC4231_DIGEST}"\n'
    assert not any(f.blocking for f in run({"tests/test_signing.py": inline}))


def test_a_secret_in_a_test_that_is_not_compared_still_blocks() -> None:
    test = f'API_TOKEN = "{fake(40, seed=19)}"\n\n\ndef test_call(client):\n    client.get(token=API_TOKEN)\n'
    assert blocking(run({"tests/test_client.py": test})) == [("secret-assignment", 1)]
    ghp = f'def test_x():\n    assert login("{GHP}") == 200\n'
    assert blocking(run({"tests/test_login.py": ghp})) == [("github-token", 2)]


@pytest.mark.parametrize(
    "name", [".env.test", ".env.ci", ".env.development", "config/.env.testing"]
)
def test_shared_env_files_without_secrets_do_not_block(name: str) -> None:
    found = run({name: "DEBUG=1\nDATABASE_URL=sqlite:///test.db\nPORT=8000\n"})
    assert [(f.rule, f.blocking) for f in found] == [("dotenv-file", False)]


def test_shared_env_file_with_a_secret_still_blocks() -> None:
    found = run({".env.test": f"DEBUG=1\nSTRIPE_KEY={fake(32, seed=20)}\n"})
    assert ("dotenv-file", True) in {(f.rule, f.blocking) for f in found}
