"""Sensitive cookie without the Secure attribute (CWE-614): set_cookie with secure off or missing."""

CWE = "CWE-614"

CASES = r"""
# --- 01 vuln
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    resp = make_response("ok")
    resp.set_cookie("session_id", "abc123")
    return resp
# --- 02 safe
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    resp = make_response("ok")
    resp.set_cookie("session_id", "abc123", secure=True, httponly=True, samesite="Lax")
    return resp
# --- 03 vuln
from django.http import HttpResponse


def remember(request):
    response = HttpResponse("ok")
    response.set_cookie("auth_token", request.user.get_session_auth_hash(), httponly=True)
    return response
# --- 04 safe
from django.http import HttpResponse


def remember(request):
    response = HttpResponse("ok")
    response.set_cookie("auth_token", "x", secure=True, httponly=True, samesite="Strict")
    return response
# --- 05 vuln
from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token")
def token(response: Response):
    response.set_cookie(key="access_token", value="Bearer abc", secure=False, httponly=True)
    return {"ok": True}
# --- 06 safe
from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token")
def token(response: Response):
    response.set_cookie(key="access_token", value="Bearer abc", secure=True, httponly=True)
    return {"ok": True}
# --- 07 vuln
from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/remember-me")
def remember_me():
    user = request.args.get("user", "")
    resp = make_response("remembered")
    resp.set_cookie("remember_token", user, max_age=30 * 24 * 3600)
    return resp
# --- 08 safe
from flask import Flask, make_response

app = Flask(__name__)
COOKIE_OPTS = {"secure": True, "httponly": True, "samesite": "Lax"}


@app.route("/sid")
def sid():
    resp = make_response("ok")
    resp.set_cookie("sid", "value", **COOKIE_OPTS)
    return resp
# --- 09 vuln
from starlette.responses import JSONResponse


async def login(request):
    response = JSONResponse({"ok": True})
    response.set_cookie("session", "token-value", httponly=True, samesite="lax")
    return response
# --- 10 safe
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/logout")
def logout():
    resp = make_response("bye")
    resp.delete_cookie("session_id")
    return resp
# --- 11 vuln
from django.http import JsonResponse


def set_session(request):
    resp = JsonResponse({"ok": True})
    resp.set_cookie("sessionid", "s3cr3t", secure=False, httponly=False)
    return resp
# --- 12 safe
from django.http import JsonResponse

SECURE_COOKIES = True


def set_session(request):
    resp = JsonResponse({"ok": True})
    resp.set_cookie("sessionid", "s3cr3t", secure=SECURE_COOKIES, httponly=True)
    return resp
# --- 13 vuln
from flask import Flask, make_response

app = Flask(__name__)


def with_auth_cookie(resp, token):
    resp.set_cookie("auth", token, httponly=True)
    return resp


@app.route("/auth")
def auth():
    return with_auth_cookie(make_response("ok"), "tok")
# --- 14 safe
from flask import Flask, make_response

app = Flask(__name__)


def with_auth_cookie(resp, token):
    resp.set_cookie("auth", token, httponly=True, secure=True)
    return resp


@app.route("/auth")
def auth():
    return with_auth_cookie(make_response("ok"), "tok")
# --- 15 vuln
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/sso/callback")
def callback(code: str):
    resp = RedirectResponse("/")
    resp.set_cookie("id_token", code)
    return resp
# --- 16 safe
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/sso/callback")
def callback(code: str):
    resp = RedirectResponse("/")
    resp.set_cookie("id_token", code, secure=True, httponly=True, samesite="strict")
    return resp
# --- 17 vuln
from flask import Flask, make_response

app = Flask(__name__)
SECURE = False


@app.route("/csrf")
def csrf():
    resp = make_response("ok")
    resp.set_cookie("csrf_token", "abc", secure=SECURE, httponly=True)
    return resp
# --- 18 safe
from django.http import HttpResponse


def set_lang(request):
    response = HttpResponse("ok")
    response.set_cookie("session_token", "v", secure=True, httponly=True)
    response.set_cookie("theme_seen", "1", secure=True, httponly=True)
    return response
# --- 19 vuln
from django.http import HttpResponse


def login_view(request):
    response = HttpResponse("logged in")
    response.set_cookie(
        "auth_session",
        "opaque-session-value",
        max_age=3600,
        samesite="Lax",
    )
    return response
# --- 20 safe
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/session")
def session_cookie():
    resp = make_response("ok")
    resp.set_cookie(
        "session",
        "opaque",
        max_age=3600,
        secure=True,
        httponly=True,
        samesite="Lax",
    )
    return resp
# --- 21 vuln
from starlette.responses import Response


def attach_refresh(response: Response, refresh: str) -> None:
    response.set_cookie("refresh_token", refresh, httponly=True, secure=False, path="/auth")
# --- 22 safe
from starlette.responses import Response


def attach_refresh(response: Response, refresh: str) -> None:
    response.set_cookie("refresh_token", refresh, httponly=True, secure=True, path="/auth")
# --- 23 vuln
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/api-login", methods=["POST"])
def api_login():
    resp = make_response({"ok": True})
    resp.set_cookie("api_key", "key-value", secure=False)
    return resp
# --- 24 safe
from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/login")
def login(response: Response):
    response.set_cookie("session", "opaque", secure=True, httponly=True, samesite="lax")
    return {"ok": True}
# --- 25 vuln
from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/login")
def login(response: Response):
    response.set_cookie("session", "opaque")
    return {"ok": True}
# --- 26 safe
from django.http import HttpResponse

DEBUG_INSECURE = False


def set_sid(request):
    response = HttpResponse("ok")
    response.set_cookie("sid", "v", secure=not DEBUG_INSECURE, httponly=True)
    return response
"""
