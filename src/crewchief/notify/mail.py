"""Mail a message through the policy's SMTP server, with stdlib `smtplib`.

The password comes from the environment variable the policy names, read at send time, so it is
never in the committed policy. Replies in the 4xx range, dropped connections and refused
connections are transient; 5xx replies (a refused login, an unknown sender) are the answer.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from crewchief.notify.delivery import Attempt, Delivery, Tries, with_retries
from crewchief.spec.policy import NotifyPolicy
from crewchief.textsafe import visible

DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "off": 25}


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"SMTP {code} {visible(text, 120)}"


def _deliver(
    message: EmailMessage, policy: NotifyPolicy, port: int, password: str | None
) -> dict[str, tuple[int, bytes]]:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if policy.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(policy.smtp_host, port, timeout=policy.timeout_s, context=context)
    else:
        client = smtplib.SMTP(policy.smtp_host, port, timeout=policy.timeout_s)
    with client:
        if policy.smtp_tls == "starttls":
            client.starttls(context=context)
        if policy.smtp_user and password is not None:
            client.login(policy.smtp_user, password)
        return client.send_message(message, to_addrs=policy.email)


def _once(message: EmailMessage, policy: NotifyPolicy, port: int, password: str | None) -> Attempt:
    server = f"{policy.smtp_host}:{port}"
    try:
        refused = _deliver(message, policy, port, password)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        replies = "; ".join(_reply(c, m) for c, m in exc.recipients.values())
        return Attempt(
            False,
            f"{server} refused every recipient: {replies}",
            all(400 <= c < 500 for c in codes),
        )
    except smtplib.SMTPResponseException as exc:
        return Attempt(
            False, f"{server}: {_reply(exc.smtp_code, exc.smtp_error)}", 400 <= exc.smtp_code < 500
        )
    except smtplib.SMTPNotSupportedError as exc:
        return Attempt(False, f"{server}: {exc} (set smtp_tls to match the server)")
    except smtplib.SMTPServerDisconnected as exc:
        return Attempt(False, f"{server}: disconnected: {exc}", transient=True)
    except smtplib.SMTPException as exc:
        return Attempt(False, f"{server}: {type(exc).__name__}: {exc}")
    except OSError as exc:
        return Attempt(False, f"{server}: {exc.strerror or exc}", transient=True)
    if refused:
        return Attempt(True, f"accepted by {server}, refused for {', '.join(sorted(refused))}")
    return Attempt(True, f"accepted by {server}")


def send(
    message: EmailMessage, policy: NotifyPolicy, env: Mapping[str, str], tries: Tries
) -> Delivery:
    """Send `message` to `policy.email`; one `Delivery`, whatever happened."""
    target = ", ".join(policy.email)
    password = None
    if policy.smtp_password_env:
        password = env.get(policy.smtp_password_env)
        if not password:
            detail = f"{policy.smtp_password_env} is not set (the password for {policy.smtp_user})"
            return Delivery("email", target, False, detail, 0)
    port = policy.smtp_port or DEFAULT_PORTS[policy.smtp_tls]
    return with_retries("email", target, tries, lambda: _once(message, policy, port, password))
