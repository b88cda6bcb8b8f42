"""The brief mailed through a real SMTP server on loopback (aiosmtpd): multipart text and HTML,
login with the password from the environment, transient refusals retried."""

from __future__ import annotations

from crewchief.notify import send_brief
from crewchief.spec.policy import NotifyPolicy
from tests.notify.night import hostile_brief
from tests.notify.servers import free_port, smtp_server

TO = ["lead@example.com", "oncall@example.com"]


def _policy(port: int, **extra) -> NotifyPolicy:
    settings = {"email": TO, "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": "off"}
    return NotifyPolicy(**{"smtp_from": "crewchief@example.com", **settings, **extra})


def test_multipart_mail_with_login_from_the_environment(repo) -> None:
    brief = hostile_brief(repo)
    env = {"CREWCHIEF_SMTP_PASSWORD": "s3cret"}
    with smtp_server("lead", "s3cret") as box:
        policy = _policy(box.port, smtp_user="lead", smtp_password_env="CREWCHIEF_SMTP_PASSWORD")
        [delivery] = send_brief(brief, policy, "crewchief: batch ended", env=env)
    assert delivery.ok, delivery.line()
    assert box.logins == [("lead", "s3cret")]
    assert box.envelopes == [("crewchief@example.com", TO)]
    [message] = box.received
    assert (
        message["Subject"] == "crewchief: batch ended: 2 ready, 3 to review, 3 gave up, 2 running"
    )
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Gave up (3)" in text and "Q&A" in text
    assert "&lt;!channel&gt; Q&amp;A &lt;script&gt;" in html and "<script>" not in html
    assert "s3cret" not in delivery.line()


def test_wrong_password_is_one_line_not_retried(repo) -> None:
    brief = hostile_brief(repo)
    env = {"PW": "wrong"}
    with smtp_server("lead", "s3cret") as box:
        policy = _policy(box.port, smtp_user="lead", smtp_password_env="PW")
        [delivery] = send_brief(brief, policy, "h", env=env, sleep=lambda s: None)
    assert not delivery.ok and delivery.tries == 1
    assert set(box.logins) == {("lead", "wrong")}  # smtplib tries PLAIN, then LOGIN
    assert "SMTP 535" in delivery.line() and not box.received


def test_password_variable_unset_sends_nothing(repo) -> None:
    with smtp_server() as box:
        policy = _policy(box.port, smtp_user="lead", smtp_password_env="CREWCHIEF_SMTP_PASSWORD")
        [delivery] = send_brief(hostile_brief(repo), policy, "h", env={})
    assert not delivery.ok and not box.logins and box.data_calls == 0
    assert delivery.line() == (
        "notify: email lead@example.com, oncall@example.com failed: "
        "CREWCHIEF_SMTP_PASSWORD is not set (the password for lead)"
    )


def test_a_4xx_reply_is_retried(repo) -> None:
    waits: list[float] = []
    with smtp_server() as box:
        box.replies.append("451 4.3.0 try again later")
        [delivery] = send_brief(
            hostile_brief(repo), _policy(box.port), "h", env={}, sleep=waits.append
        )
    assert delivery.ok and delivery.tries == 2 and waits == [1.0] and box.data_calls == 2
    assert len(box.received) == 1


def test_a_5xx_reply_is_the_answer(repo) -> None:
    with smtp_server() as box:
        box.replies.append("554 5.7.1 rejected")
        [delivery] = send_brief(
            hostile_brief(repo), _policy(box.port), "h", env={}, sleep=lambda s: None
        )
    assert not delivery.ok and delivery.tries == 1 and "SMTP 554" in delivery.line()


def test_starttls_required_by_default_and_refused_by_a_plain_server(repo) -> None:
    with smtp_server() as box:
        policy = _policy(box.port, smtp_tls="starttls")
        [delivery] = send_brief(hostile_brief(repo), policy, "h", env={}, sleep=lambda s: None)
    assert not delivery.ok and "STARTTLS" in delivery.line() and box.data_calls == 0


def test_no_server_is_retried_then_one_line(repo) -> None:
    waits: list[float] = []
    policy = _policy(free_port(), retries=1)
    [delivery] = send_brief(hostile_brief(repo), policy, "h", env={}, sleep=waits.append)
    assert not delivery.ok and delivery.tries == 2 and waits == [1.0]
    assert "refused" in delivery.line().lower()
