"""`crewchief brief --notify`: the lead's test of the setup, with the exit codes it promises."""

from __future__ import annotations

from importlib.resources import files

import pytest

from crewchief.spec.errors import SpecError
from crewchief.spec.policy import Policy, parse_policy
from tests.helpers.cli import run_cli
from tests.helpers.github_server import Reply, github_server
from tests.helpers.overnight import overnight
from tests.notify.servers import smtp_server

HOOK = "/services/T0/B0/s3cretpath"


def _brief(capsys, repo, policy: str):
    repo.commit({"crewchief.toml": policy}, "policy")
    return run_cli(capsys, "brief", "--since", "7h", "--notify", "--repo", str(repo.path))


def test_sends_to_every_channel_and_exits_0(capsys, repo, monkeypatch) -> None:
    overnight(repo)
    with github_server([Reply("POST", HOOK, 200)]) as server, smtp_server() as box:
        monkeypatch.setenv("CREWCHIEF_SLACK_WEBHOOK", server.url + HOOK)
        policy = (
            '[notify]\nwebhook_env = "CREWCHIEF_SLACK_WEBHOOK"\nemail = ["lead@example.com"]\n'
            f'smtp_host = "127.0.0.1"\nsmtp_port = {box.port}\nsmtp_tls = "off"\n'
        )
        result = _brief(capsys, repo, policy)
    assert result.code == 0, result.out + result.err
    assert server.done() and server.seen[0].body["text"].startswith("crewchief brief: 2 ready")
    assert [m["Subject"] for m in box.received] == [
        "crewchief brief: 2 ready, 3 to review, 2 gave up, 2 running"
    ]
    assert result.out.splitlines() == [
        f"notified webhook {server.url}/… (HTTP 200)",
        f"notified email lead@example.com (accepted by 127.0.0.1:{box.port})",
    ]


def test_a_failed_channel_exits_1(capsys, repo) -> None:
    overnight(repo)
    with github_server([Reply("POST", HOOK, 410, "gone")]) as server:
        result = _brief(capsys, repo, f'[notify]\nwebhook = "{server.url}{HOOK}"\n')
    assert result.code == 1
    assert (
        result.out.startswith("warning: notify: webhook http://127.0.0.1:")
        and "HTTP 410" in result.out
    )
    assert "s3cretpath" not in result.out


def test_no_channel_is_exit_2_one_line(capsys, repo) -> None:
    result = _brief(capsys, repo, "[gate]\nskip = []\n")
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and "no [notify] webhook" in result.err


@pytest.mark.parametrize(
    ("table", "says"),
    [
        (
            'webhook = "https://h.example/x"\nwebhook_env = "HOOK"',
            "webhook or webhook_env, not both",
        ),
        ('webhook = "hooks.slack.com/x"', "http:// or https:// URL"),
        ('webhook_env = "MY-HOOK"', "not an environment variable name"),
        ('smtp_user = "lead"', "smtp_user and smtp_password_env go together"),
        ('email = ["lead"]', "not an email address"),
        ('smtp_from = "a@b.c\\nBcc: x@y.z"', "not a sender"),
        ('smtp_tls = "yes"', "smtp_tls"),
        ("password = 'x'", "password"),
    ],
)
def test_policy_mistakes_are_one_line(table: str, says: str) -> None:
    with pytest.raises(SpecError, match="notify") as error:
        parse_policy(f"[notify]\n{table}\n".encode(), "crewchief.toml")
    assert says in str(error.value) and "\n" not in str(error.value)


def test_where_the_brief_goes_is_not_part_of_the_gates_cache_key() -> None:
    notified = Policy.model_validate({"notify": {"webhook": "https://h.example/x"}})
    assert notified.digest() == Policy().digest()
    assert Policy.model_validate({"gate": {"skip": ["api"]}}).digest() != Policy().digest()


def test_the_starter_policys_example_parses_once_uncommented() -> None:
    text = files("crewchief").joinpath("data/crewchief.toml").read_text("utf-8")
    block = text[text.index("# [notify]") :].splitlines()
    uncommented = "\n".join(line.removeprefix("# ") for line in block)
    notify = parse_policy(uncommented.encode(), "crewchief.toml").notify
    assert notify.webhook_env == "CREWCHIEF_SLACK_WEBHOOK" and notify.smtp_password_env
