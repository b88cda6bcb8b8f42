"""The diff model on its own: parsing git's output, highlighting safely, placing findings."""

from __future__ import annotations

from crewchief.web import diffview
from crewchief.web.diffview import build, highlight_lines, parse, unquote

DIFF = (
    "diff --git a/app.py b/app.py\n"
    "index 1111111..2222222 100644\n"
    "--- a/app.py\n"
    "+++ b/app.py\n"
    "@@ -1,3 +1,4 @@ def greet\n"
    " def greet(name):\n"
    "-    return 'hi ' + name\n"
    "+    eval(name)\n"
    "+    return 'hello ' + name\n"
    " # end\x0cstill the same line\n"
    "\\ No newline at end of file\n"
    'diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"\n'
    "new file mode 100644\n"
    "--- /dev/null\n"
    '+++ "b/caf\\303\\251 \\"q\\".py"\n'
    "@@ -0,0 +1 @@\n"
    "+x = 1\n"
    "diff --git a/img.png b/img.png\n"
    "new file mode 100644\n"
    "Binary files /dev/null and b/img.png differ\n"
)


def test_parse_keeps_lines_numbers_and_names() -> None:
    files, truncated, count = parse(DIFF)
    assert not truncated and count == 7
    app, cafe, png = files
    assert (app.path, app.status, app.added, app.removed) == ("app.py", "modified", 2, 1)
    kinds = [(line.kind, line.old_no, line.new_no) for line in app.hunks[0].lines]
    assert kinds == [
        ("ctx", 1, 1),
        ("del", 2, None),
        ("add", None, 2),
        ("add", None, 3),
        ("ctx", 3, 4),
        ("note", None, None),
    ]
    assert app.hunks[0].lines[4].text == "# end\\x0cstill the same line"
    assert (cafe.path, cafe.status) == ('café "q".py', "added")
    assert png.binary and png.path == "img.png" and png.status == "added"


def test_unquote_reads_git_c_quoting() -> None:
    assert unquote('"a/\\303\\251\\t\\\\x"') == "a/é\t\\x"
    assert unquote("plain") == "plain"
    assert unquote('"\\377"') == "\udcff"  # not UTF-8: kept as surrogateescape, as git.py does


def test_side_by_side_pairs_removed_with_added() -> None:
    hunk = parse(DIFF)[0][0].hunks[0]
    rows = [
        (left.kind if left else None, right.kind if right else None) for left, right in hunk.rows()
    ]
    assert rows == [
        ("ctx", "ctx"),
        ("del", "add"),
        (None, "add"),
        ("ctx", "ctx"),
        ("note", "note"),
    ]


def test_highlighting_escapes_hostile_tokens() -> None:
    lines = [
        'x = "<script>alert(1)</script>"',
        "y = '\"><img src=x onerror=alert(2)>'",
        '"""a',
        'b"""',
    ]
    html = highlight_lines(lines, "evil.py")
    assert html is not None and len(html) == 4
    joined = "\n".join(html)
    assert "<script>" not in joined and "<img" not in joined
    assert "&lt;script&gt;" in joined and "&lt;img" in joined
    assert all(part.count("<span") == part.count("</span>") for part in html)  # one line each
    assert highlight_lines(["x"], "no-lexer.unknownext") is None


def test_findings_sit_under_their_line_and_the_rest_is_listed() -> None:
    report = {
        "findings": [
            {"check": "security", "rule": "eval", "path": "app.py", "line": 2, "message": "eval"},
            {"check": "scope", "rule": "file", "path": "app.py", "line": None, "message": "whole"},
            {"check": "quality", "rule": "far", "path": "app.py", "line": 90, "message": "far"},
        ]
    }
    view = build(DIFF, report)
    app = view.files[0]
    assert [f["rule"] for f in view.file_findings[0]] == ["file"]
    eval_line = next(line for line in app.hunks[0].lines if line.new_no == 2)
    assert [f["rule"] for f in view.at(app, eval_line)] == ["eval"]
    assert [view.at(app, line) for line in app.hunks[0].lines].count([]) == 5
    assert [f["rule"] for f in view.unplaced] == ["far"]
    assert app.highlighted and '<span class="nb">eval</span>' in str(eval_line.html)


def test_size_caps_skip_highlighting_and_cut_long_diffs(monkeypatch) -> None:
    big = "".join(f"+line {i} = '<b>'\n" for i in range(300))
    diff = f"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -0,0 +1,300 @@\n{big}"
    monkeypatch.setattr(diffview, "HIGHLIGHT_HUNK_CHARS", 100)
    monkeypatch.setattr(diffview, "MAX_DIFF_LINES", 250)
    view = build(diff, None)
    file = view.files[0]
    assert view.truncated and file.added == 250
    assert not file.highlighted
    assert str(file.hunks[0].lines[0].html) == "line 0 = &#39;&lt;b&gt;&#39;"
    monkeypatch.setattr(diffview, "HIGHLIGHT_HUNK_CHARS", 10**6)
    monkeypatch.setattr(diffview, "HIGHLIGHT_PAGE_CHARS", 100)
    two = diff + diff.replace("x.py", "y.py")
    parsed = diffview.prepare(two)
    assert parsed.highlight_cut and not any(f.highlighted for f in parsed.files)
    monkeypatch.setattr(diffview, "HIGHLIGHT_PAGE_CHARS", 10**6)
    parsed = diffview.prepare(two)
    assert not parsed.highlight_cut and all(f.highlighted for f in parsed.files)
