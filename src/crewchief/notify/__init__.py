"""Notifications: the morning brief sent to a webhook (Slack-compatible or plain JSON) and by mail.

`send_brief` sends one brief to every channel `[notify]` configures and says what each did; it
never raises for a failure on the wire, since a notification must never fail or lose a batch.
`batch` sends at the end of a `crewchief run` batch and when its `--until` deadline passes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from crewchief.notify import compose, mail, webhook
from crewchief.notify.delivery import Delivery, Sleep, Tries
from crewchief.review.brief import Brief
from crewchief.spec.policy import NotifyPolicy

__all__ = ["Delivery", "send_brief"]


def _webhook_url(policy: NotifyPolicy, env: Mapping[str, str]) -> str | Delivery | None:
    """The URL to post to, a failed `Delivery` saying why there is none, or None (no webhook)."""
    if not policy.webhook_env:
        return policy.webhook
    name = policy.webhook_env
    url = env.get(name, "").strip()
    if not url:
        return Delivery("webhook", f"${name}", False, f"{name} is not set", 0)
    if not url.startswith(("https://", "http://")):
        return Delivery("webhook", f"${name}", False, f"{name} does not hold an http(s) URL", 0)
    return url


def send_brief(
    brief: Brief,
    policy: NotifyPolicy,
    headline: str,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = time.sleep,
) -> list[Delivery]:
    """Send `brief` to the webhook and the mail recipients `policy` names, in that order.

    `headline` is crewchief's own words (never agent text): the chat message's header and the
    mail's subject, before the counts. `env` is where secrets are read (default: os.environ)."""
    env = os.environ if env is None else env
    tries = Tries(policy.retries, policy.max_wait_s, sleep)
    deliveries: list[Delivery] = []
    url = _webhook_url(policy, env)
    if isinstance(url, Delivery):
        deliveries.append(url)
    elif url:
        body = (
            compose.slack_body(brief, headline)
            if policy.webhook_format == "slack"
            else compose.json_body(brief)
        )
        deliveries.append(webhook.post(url, body, timeout=policy.timeout_s, tries=tries))
    if policy.email:
        message = compose.mail(brief, headline, policy.smtp_from, policy.email)
        deliveries.append(mail.send(message, policy, env, tries))
    return deliveries
