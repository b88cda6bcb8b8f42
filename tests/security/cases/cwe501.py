"""Trust boundary violation (CWE-501): request data stored in the server-side session as trusted."""

CWE = "CWE-501"

CASES = r"""
# --- 01 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/set-role")
def set_role():
    session["role"] = request.args.get("role", "user")
    return "ok"
# --- 02 safe
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/set-theme")
def set_theme():
    theme = request.args.get("theme", "light")
    session["theme"] = "dark" if theme == "dark" else "light"
    return "ok"
# --- 03 vuln
from django.http import HttpResponse


def remember_user(request):
    request.session["user_id"] = request.GET["user_id"]
    return HttpResponse("remembered")
# --- 04 safe
from django.http import HttpResponse


def page_size(request):
    size = int(request.GET.get("size", "20"))
    request.session["page_size"] = size
    return HttpResponse("ok")
# --- 05 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    session["username"] = username
    session["logged_in"] = True
    return "welcome"
# --- 06 safe
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/visit")
def visit():
    ref = request.args.get("ref", "")
    session["visits"] = session.get("visits", 0) + 1
    return {"ref": ref, "visits": session["visits"]}
# --- 07 vuln
from starlette.requests import Request
from starlette.responses import PlainTextResponse


async def set_account(request: Request):
    request.session["account"] = request.query_params.get("account", "")
    return PlainTextResponse("ok")
# --- 08 safe
from flask import Flask, request, session

app = Flask(__name__)
ROLES = {"viewer", "editor"}


@app.route("/pick-role")
def pick_role():
    wanted = request.args.get("role", "viewer")
    session["role"] = "editor" if wanted == "editor" and "editor" in ROLES else "viewer"
    return "ok"
# --- 09 vuln
from django.http import HttpResponse


def impersonate(request):
    target = request.POST.get("as_user")
    if target:
        request.session["impersonate"] = target
    return HttpResponse("ok")
# --- 10 safe
from django.http import HttpResponse


def cart_add(request):
    item = request.GET.get("item", "")
    cart = request.session.get("cart_count", 0)
    request.session["cart_count"] = cart + 1
    return HttpResponse(str(len(item)))
# --- 11 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/prefs", methods=["POST"])
def prefs():
    data = request.get_json()
    session["prefs"] = {"lang": data["lang"], "tz": data["tz"]}
    return "saved"
# --- 12 safe
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/lang")
def lang():
    wanted = request.args.get("lang", "en")
    wanted = "en"
    session["lang"] = wanted
    return "ok"
# --- 13 vuln
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/tenant")
async def tenant(request: Request):
    body = await request.json()
    request.session["tenant_id"] = body["tenant_id"]
    return {"ok": True}
# --- 14 safe
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/counter")
def counter(request: Request):
    request.session["count"] = request.session.get("count", 0) + 1
    return {"count": request.session["count"]}
# --- 15 vuln
from flask import Flask, request, session

app = Flask(__name__)


def remember(key, value):
    session[key] = value


@app.route("/remember")
def remember_view():
    remember("discount_code", request.args["code"])
    return "ok"
# --- 16 safe
from flask import Flask, request, session

app = Flask(__name__)
TRUST_CLIENT = False


@app.route("/admin-flag")
def admin_flag():
    flag = request.args.get("admin", "0")
    if TRUST_CLIENT:
        session["is_admin"] = flag
    return "ok"
# --- 17 vuln
from django.http import HttpResponse


def set_currency(request):
    currency = request.COOKIES.get("currency", "EUR")
    request.session["currency"] = currency
    return HttpResponse("ok")
# --- 18 safe
from django.http import HttpResponse

CURRENCIES = ("EUR", "USD", "GBP")


def set_currency(request):
    currency = request.GET.get("currency", "EUR")
    index = CURRENCIES.index(currency) if currency in CURRENCIES else 0
    request.session["currency_index"] = index
    return HttpResponse("ok")
# --- 19 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/cart/add", methods=["POST"])
def cart_add():
    cart = session.get("cart", [])
    cart.append({"sku": request.form["sku"], "price": request.form["price"]})
    session["cart"] = cart
    return "added"
# --- 20 safe
import secrets
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/csrf")
def csrf():
    form = request.args.get("form", "")
    session["csrf_token"] = secrets.token_urlsafe(32)
    return {"form": form}
# --- 21 vuln
from starlette.requests import Request
from starlette.responses import JSONResponse


async def set_org(request: Request):
    form = await request.form()
    request.session["org"] = form["org"]
    return JSONResponse({"ok": True})
# --- 22 safe
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/search")
def search():
    q = request.args.get("q", "")
    session["searched"] = bool(q)
    session["search_len"] = len(q)
    return "ok"
# --- 23 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/sso")
def sso():
    email = request.headers.get("X-Forwarded-Email", "")
    session.update(email=email, authenticated=True)
    session["email"] = email
    return "ok"
# --- 24 safe
from django.http import HttpResponse


def remember_page(request):
    page = request.GET.get("page", "1")
    request.session["last_page"] = int(page)
    return HttpResponse("ok")
# --- 25 vuln
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/step2", methods=["POST"])
def step2():
    amount = request.form.get("amount", "0")
    session["checkout"] = f"amount={amount};approved=1"
    return "next"
# --- 26 safe
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/logout")
def logout():
    reason = request.args.get("reason", "")
    session.pop("user", None)
    session["logout_reason_given"] = reason != ""
    return "bye"
"""
