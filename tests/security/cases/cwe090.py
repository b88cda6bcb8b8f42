"""LDAP injection (CWE-90): input built into an LDAP search filter or DN."""

CWE = "CWE-90"

CASES = r"""
# --- 01 vuln
import ldap
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    uid = request.args["uid"]
    conn = ldap.initialize("ldap://ldap.example.com")
    res = conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")
    return {"count": len(res)}
# --- 02 safe
import ldap
from ldap.filter import escape_filter_chars
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    uid = escape_filter_chars(request.args["uid"])
    conn = ldap.initialize("ldap://ldap.example.com")
    res = conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")
    return {"count": len(res)}
# --- 03 vuln
from ldap3 import Connection, Server
from flask import Flask, request

app = Flask(__name__)
server = Server("ldap.example.com")


@app.route("/search")
def search():
    name = request.args.get("name", "")
    conn = Connection(server, auto_bind=True)
    conn.search("dc=example,dc=com", f"(&(objectClass=person)(cn={name}))", attributes=["mail"])
    return {"entries": [str(e) for e in conn.entries]}
# --- 04 safe
from ldap3 import Connection, Server
from ldap3.utils.conv import escape_filter_chars
from flask import Flask, request

app = Flask(__name__)
server = Server("ldap.example.com")


@app.route("/search")
def search():
    name = escape_filter_chars(request.args.get("name", ""))
    conn = Connection(server, auto_bind=True)
    conn.search("dc=example,dc=com", f"(&(objectClass=person)(cn={name}))", attributes=["mail"])
    return {"entries": [str(e) for e in conn.entries]}
# --- 05 vuln
import ldap
from django.http import JsonResponse


def check_group(request):
    group = request.GET["group"]
    conn = ldap.initialize("ldap://ldap")
    flt = "(&(objectClass=groupOfNames)(cn=%s))" % group
    found = conn.search_s("dc=corp", ldap.SCOPE_SUBTREE, flt)
    return JsonResponse({"exists": bool(found)})
# --- 06 safe
import ldap
from django.http import JsonResponse


def list_groups(request):
    page = request.GET.get("page", "1")
    conn = ldap.initialize("ldap://ldap")
    found = conn.search_s("dc=corp", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
    return JsonResponse({"count": len(found), "page": page})
# --- 07 vuln
from ldap3 import Connection
from fastapi import FastAPI

app = FastAPI()


@app.get("/mail")
def mail(user: str):
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("ou=users,dc=x", "(mail=" + user + "@example.com)")
    return {"n": len(conn.entries)}
# --- 08 safe
from ldap3 import Connection
from fastapi import FastAPI

app = FastAPI()


@app.get("/employee/{number}")
def employee(number: int):
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("ou=users,dc=x", f"(employeeNumber={number})")
    return {"n": len(conn.entries)}
# --- 09 vuln
import sys
import ldap


def main():
    who = sys.argv[1]
    conn = ldap.initialize("ldap://localhost")
    for dn, attrs in conn.search_s("dc=local", ldap.SCOPE_SUBTREE, f"(sn={who})"):
        print(dn)
# --- 10 safe
import ldap
from ldap.filter import filter_format
from flask import Flask, request

app = Flask(__name__)


@app.route("/lookup")
def lookup():
    uid = request.args.get("uid", "")
    conn = ldap.initialize("ldap://ldap")
    flt = filter_format("(uid=%s)", [uid])
    return {"found": bool(conn.search_s("dc=x", ldap.SCOPE_SUBTREE, flt))}
# --- 11 vuln
from ldap3 import Connection, SUBTREE
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search(
        search_base="dc=example,dc=com",
        search_filter="(sAMAccountName={})".format(username),
        search_scope=SUBTREE,
    )
    return "ok" if conn.entries else "no"
# --- 12 safe
import ldap
from flask import Flask, request

app = Flask(__name__)
LEGACY_LOOKUP = False


@app.route("/uid")
def uid_lookup():
    uid = request.args.get("uid", "")
    conn = ldap.initialize("ldap://ldap")
    if LEGACY_LOOKUP:
        return {"r": conn.search_s("dc=x", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")}
    return {"r": []}
# --- 13 vuln
import ldap
from flask import Flask, request

app = Flask(__name__)


def find(conn, attr, value):
    return conn.search_s("dc=example", ldap.SCOPE_SUBTREE, "(%s=%s)" % (attr, value))


@app.route("/find")
def find_view():
    conn = ldap.initialize("ldap://ldap")
    return {"r": len(find(conn, "cn", request.args["cn"]))}
# --- 14 safe
from ldap3 import Connection
from flask import Flask, request

app = Flask(__name__)


@app.route("/who")
def who():
    name = request.args.get("name", "")
    name = "admin"
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("dc=x", f"(cn={name})")
    return {"n": len(conn.entries)}
# --- 15 vuln
from django.http import JsonResponse
from ldap3 import Connection


def directory(request):
    dept = request.GET.get("dept", "")
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("ou=staff,dc=corp", "(department=" + dept + ")", attributes=["cn"])
    return JsonResponse({"names": [str(e.cn) for e in conn.entries]})
# --- 16 safe
import ldap
from ldap.filter import escape_filter_chars
from django.http import JsonResponse


def directory(request):
    dept = request.GET.get("dept", "")
    conn = ldap.initialize("ldap://ldap")
    flt = "(department=%s)" % escape_filter_chars(dept)
    return JsonResponse({"n": len(conn.search_s("dc=corp", ldap.SCOPE_SUBTREE, flt))})
# --- 17 vuln
import ldap
from starlette.requests import Request
from starlette.responses import JSONResponse


async def member(request: Request):
    user = request.query_params["user"]
    conn = ldap.initialize("ldap://ldap")
    res = conn.search_ext_s("dc=x", ldap.SCOPE_SUBTREE, "(memberUid=" + user + ")")
    return JSONResponse({"groups": len(res)})
# --- 18 safe
import re
import ldap
from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/member")
def member():
    user = request.args.get("user", "")
    if not re.fullmatch(r"[a-z0-9_]{1,32}", user):
        abort(400)
    conn = ldap.initialize("ldap://ldap")
    return {"n": len(conn.search_s("dc=x", ldap.SCOPE_SUBTREE, "(objectClass=posixGroup)"))}
# --- 19 vuln
import os
import ldap


def sync():
    base_filter = os.environ.get("LDAP_FILTER_USER", "*")
    conn = ldap.initialize("ldap://ldap")
    return conn.search_s("dc=x", ldap.SCOPE_SUBTREE, "(uid=" + base_filter + ")")
# --- 20 safe
from ldap3 import Connection
from ldap3.utils.conv import escape_filter_chars
from fastapi import FastAPI

app = FastAPI()


@app.get("/mail")
def mail(user: str):
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("ou=users,dc=x", "(mail=" + escape_filter_chars(user) + ")")
    return {"n": len(conn.entries)}
# --- 21 vuln
from ldap3 import Connection
from flask import Flask, request

app = Flask(__name__)


@app.route("/multi")
def multi():
    parts = ["(uid=" + u + ")" for u in request.args.getlist("uid")]
    flt = "(|" + "".join(parts) + ")"
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("dc=x", flt)
    return {"n": len(conn.entries)}
# --- 22 safe
from ldap3 import Connection
from flask import Flask, request

app = Flask(__name__)


@app.route("/count")
def count():
    uid = request.args.get("uid", "")
    conn = Connection("ldap://ldap", auto_bind=True)
    conn.search("dc=x", "(objectClass=person)")
    return {"n": len(conn.entries), "asked": len(uid)}
# --- 23 vuln
import ldap
from fastapi import FastAPI

app = FastAPI()


@app.get("/bind")
def bind(user: str, password: str):
    conn = ldap.initialize("ldap://ldap")
    conn.simple_bind_s("uid=svc,dc=x", "svc-password-from-vault")
    found = conn.search_s("dc=x", ldap.SCOPE_SUBTREE, "(&(uid=" + user + ")(userPassword=" + password + "))")
    return {"ok": bool(found)}
# --- 24 safe
import ldap
from ldap.filter import escape_filter_chars
from flask import Flask, request

app = Flask(__name__)


def user_filter(uid):
    return "(uid=%s)" % escape_filter_chars(uid)


@app.route("/u")
def u():
    conn = ldap.initialize("ldap://ldap")
    return {"r": len(conn.search_s("dc=x", ldap.SCOPE_SUBTREE, user_filter(request.args["uid"])))}
# --- 25 vuln
from ldap3 import Connection
from django.http import JsonResponse


def phone(request):
    number = request.POST.get("phone", "")
    conn = Connection("ldap://ldap", auto_bind=True)
    flt = "(telephoneNumber=*{}*)".format(number)
    conn.search("dc=corp", flt)
    return JsonResponse({"n": len(conn.entries)})
# --- 26 safe
import ldap
from flask import Flask, request

app = Flask(__name__)


@app.route("/emp")
def emp():
    num = int(request.args.get("num", "0"))
    conn = ldap.initialize("ldap://ldap")
    return {"r": len(conn.search_s("dc=x", ldap.SCOPE_SUBTREE, "(employeeNumber=%d)" % num))}
"""
