"""Open redirect (CWE-601): a redirect whose target comes from the request."""

CWE = "CWE-601"

CASES = r"""
# --- 01 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    nxt = request.args.get("next", "/")
    return redirect(nxt)
# --- 02 safe
from urllib.parse import urlparse
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    nxt = request.args.get("next", "/")
    if urlparse(nxt).netloc not in ("", "app.example.com"):
        nxt = "/"
    return redirect(nxt)
# --- 03 vuln
from django.shortcuts import redirect


def logout(request):
    target = request.GET.get("return_to", "/")
    return redirect(target)
# --- 04 safe
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def logout(request):
    target = request.GET.get("return_to", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
# --- 05 vuln
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/go")
def go(url: str):
    return RedirectResponse(url)
# --- 06 safe
from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/done")
def done():
    page = request.args.get("page", "index")
    return redirect(url_for("index", ref=page))
# --- 07 vuln
from django.http import HttpResponseRedirect


def after_payment(request):
    return HttpResponseRedirect(request.POST["callback"])
# --- 08 safe
from flask import Flask, redirect, request

app = Flask(__name__)
TARGETS = {"home": "/", "profile": "/me", "settings": "/settings"}


@app.route("/jump")
def jump():
    key = request.args.get("to", "home")
    return redirect(TARGETS.get(key, "/"))
# --- 09 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/out")
def out():
    site = request.args["site"]
    return redirect("https://" + site + "/landing")
# --- 10 safe
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/out")
def out():
    site = request.args.get("site", "")
    site = "https://partner.example.com"
    return redirect(site)
# --- 11 vuln
from starlette.requests import Request
from starlette.responses import RedirectResponse


async def sso_return(request: Request):
    state = request.query_params.get("state", "/")
    return RedirectResponse(url=state, status_code=302)
# --- 12 safe
from urllib.parse import urlparse
from django.http import HttpResponseRedirect

ALLOWED_HOSTS = {"example.com", "www.example.com"}


def bounce(request):
    url = request.GET.get("u", "/")
    host = urlparse(url).hostname
    if host is not None and host not in ALLOWED_HOSTS:
        return HttpResponseRedirect("/")
    return HttpResponseRedirect(url)
# --- 13 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


def safe_next(default="/"):
    return request.args.get("next") or default


@app.route("/signin")
def signin():
    return redirect(safe_next())
# --- 14 safe
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/lang")
def lang():
    code = request.args.get("lang", "en")
    print("switching language to", code)
    return redirect("/")
# --- 15 vuln
from django.shortcuts import redirect


def share(request):
    dest = request.META.get("HTTP_REFERER", "/")
    return redirect(dest)
# --- 16 safe
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/item/{item_id}")
def item(item_id: int):
    return RedirectResponse(f"/items/{item_id}/detail")
# --- 17 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/track")
def track():
    data = request.get_json(silent=True) or {}
    url = data.get("url", "/")
    return redirect(url, code=301)
# --- 18 safe
from flask import Flask, redirect, request

app = Flask(__name__)
OPEN_REDIRECTS = False


@app.route("/r")
def r():
    target = request.args.get("t", "/")
    if OPEN_REDIRECTS:
        return redirect(target)
    return redirect("/")
# --- 19 vuln
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/oauth/callback")
def callback(request: Request):
    next_url = request.cookies.get("next_url", "/")
    return RedirectResponse(next_url)
# --- 20 safe
from django.shortcuts import redirect


def profile_redirect(request):
    username = request.GET.get("user", "")
    slug = "".join(ch for ch in username if ch.isalnum())
    return redirect("/users/" + slug[:0] + "me")
# --- 21 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/continue")
def continue_flow():
    base = request.headers.get("X-Return-Base", "")
    return redirect(f"{base}/dashboard")
# --- 22 safe
from urllib.parse import urlparse
from flask import Flask, redirect, request

app = Flask(__name__)


def is_safe_url(target):
    parsed = urlparse(target)
    return not parsed.netloc and not parsed.scheme


@app.route("/next")
def next_page():
    target = request.args.get("next", "/")
    if not is_safe_url(target):
        target = "/"
    return redirect(target)
# --- 23 vuln
from django.http import HttpResponseRedirect


def change_locale(request):
    lang = request.GET.get("lang", "en")
    back = request.GET.get("back", "/")
    response = HttpResponseRedirect(back)
    response.set_cookie("lang", lang[:2], secure=True, httponly=True)
    return response
# --- 24 safe
from django.http import HttpResponseRedirect
from django.urls import reverse


def archive(request):
    year = int(request.GET.get("year", "2024"))
    return HttpResponseRedirect(reverse("archive-year", args=[year]))
# --- 25 vuln
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/unsubscribe")
def unsubscribe():
    email = request.args.get("email", "")
    landing = request.args.get("landing", "/bye")
    print("unsubscribing", email)
    return redirect(landing)
# --- 26 safe
from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/search")
def search():
    q = request.args.get("q", "")
    return redirect("/results?q=" + str(len(q)))
"""
