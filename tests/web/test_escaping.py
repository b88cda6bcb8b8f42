"""Everything an agent wrote reaches the browser as text: names, lines, messages, transcripts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from crewchief.store import open_store
from tests.helpers.repo import Repo
from tests.helpers.web import BASE, client, fake_run, transcript_file

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
ANSI = "\x1b[31mred\x1b[0m \x1b]0;owned\x07"
HUGE = 10_000_000


@pytest.fixture
def hostile(make_repo, tmp_path) -> tuple[Repo, int]:
    repo = make_repo(BASE)
    files = {
        f"{IMG}.py": f"x = '{SCRIPT}'\ny = 1  # {ANSI}\n",
        "app.py": f"def greet(name):\n    return '{IMG}' + name  # {SCRIPT}\n",
        "big.txt": "A" * HUGE + "\n",
        f"{SCRIPT}.txt": "plain\x0cform feed\u2028line separator\n",
    }
    log = transcript_file(tmp_path / "transcript.log", f"agent says {SCRIPT}\n{ANSI} done\n{IMG}\n")
    run_id = fake_run(
        repo,
        files,
        agent='"><svg onload=alert(3)>',
        message=f"{SCRIPT} {IMG}\n\n{ANSI}",
        transcript=log,
    )
    open_store(repo.path).update_run(run_id, reason=f"{SCRIPT}{ANSI}")
    return repo, run_id


class Elements(HTMLParser):
    """What a browser would build: every element and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"img", "svg", "iframe", "object", "embed"}, names
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"src": "/static/app.js", "defer": None}]
    handlers = [(tag, a) for tag, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert handlers == [], "an event handler attribute got through"
    assert SCRIPT not in html
    assert "\x1b" not in html and "\x07" not in html


@pytest.mark.parametrize("view", ["unified", "split"])
def test_run_page_shows_hostile_content_as_text(hostile, view) -> None:
    repo, run_id = hostile
    with client(repo) as http:
        response = http.get(f"/runs/{run_id}?view={view}")
    assert response.status_code == 200
    html = response.text
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the commit message, a file name
    assert "onerror=alert(2)&gt;.py" in html  # the hostile file name, escaped
    assert "\\x1b[31mred\\x1b[0m" in html  # terminal escapes made visible
    assert "agent says &lt;script&gt;" in html  # transcript
    assert "&lt;svg onload=alert(3)&gt;" in html  # agent name
    assert len(html) < 1_000_000, "the 10 MB line must be cut for display"
    assert f"(+{HUGE - 2000} chars)" in html
    assert "\\x0cform feed\\u2028line separator" in html  # one line, not three


def test_queue_tasks_and_json_stay_inert(hostile) -> None:
    repo, _ = hostile
    with client(repo) as http:
        for url in ("/", "/tasks", f"/?agent={IMG}", f"/?task={SCRIPT}"):
            page = http.get(url)
            assert page.status_code == 200
            assert_inert(page.text)
        queue = http.get("/api/queue")
    assert queue.headers["content-type"] == "application/json"
    assert queue.json()["queue"][0]["agent"] == '"><svg onload=alert(3)>'
    assert "&lt;svg onload=alert(3)&gt;" in http_text(repo, "/")


def http_text(repo: Repo, url: str) -> str:
    with client(repo) as http:
        return http.get(url).text


def test_refusal_messages_are_escaped(make_repo) -> None:
    repo = make_repo(BASE)
    run_id = fake_run(repo, {"app.py": "x = 1\n"})
    with client(repo) as http:
        token = re.search(r'name="csrf_token" value="(\w+)"', http.get(f"/runs/{run_id}").text)
        assert token
        first = http.post(
            f"/runs/{run_id}/reject", data={"csrf_token": token.group(1), "feedback": SCRIPT}
        )
        assert first.status_code == 303
        again = http.post(
            f"/runs/{run_id}/reject", data={"csrf_token": token.group(1), "feedback": SCRIPT}
        )
        assert again.status_code == 409 and "nothing was changed" in again.text.lower()
        page = http.get(f"/runs/{run_id}").text
    assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the feedback, in the decisions


def test_multi_line_text_shows_as_lines_and_other_controls_stay_escaped(make_repo) -> None:
    """Objectives, commit messages and feedback keep their lines (no `\\x0a`), in elements that
    wrap them as lines; a carriage return, a terminal escape and markup are still shown as text."""
    repo = make_repo(BASE)
    run_id = fake_run(
        repo,
        {"app.py": "x = 1\n"},
        message=f"Fix greet\n\n- keep {SCRIPT}\n\tindented\rforged\x1b[2J",
    )
    store = open_store(repo.path)
    objective = f"First paragraph.\n\n- a bullet {IMG}\n\tindented\x1b[31m"
    store.upsert_task("greet", "Greet politely", 3, {"objective": objective})
    store.reject_run(run_id, "rita", f"Line one.\nLine two {SCRIPT}", message="x", retry=None)
    retry = store.queue_run("greet", "other", base_ref="main")
    with client(repo) as http:
        page = http.get(f"/runs/{run_id}").text
        later = http.get(f"/runs/{retry}").text
    for html in (page, later):
        assert_inert(html)
        assert "\\x0a" not in html
    assert '<details class="objective" id="objective">' in page
    assert (
        "First paragraph.\n\n- a bullet &#34;&gt;&lt;img src=x onerror=alert(2)&gt;\n\tindented\\x1b[31m"
        in page
    )
    assert (
        "Fix greet\n\n- keep &lt;script&gt;alert(1)&lt;/script&gt;\n\tindented\\x0dforged\\x1b[2J"
        in page
    )
    assert "<blockquote>Line one.\nLine two &lt;script&gt;" in page  # the decision
    # the feedback reaches the later attempt of another agent, and its page says so
    assert "attempt 1 (agent mine): <blockquote>Line one.\nLine two &lt;script&gt;" in later
