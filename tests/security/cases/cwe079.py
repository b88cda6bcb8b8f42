"""Cross-site scripting (CWE-79): input written into an HTML response without escaping."""

CWE = "CWE-79"

CASES = r"""
# --- 01 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    return f"<h1>Hello {name}!</h1>"
# --- 02 safe
from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    return f"<h1>Hello {escape(name)}!</h1>"
# --- 03 vuln
from django.http import HttpResponse


def search(request):
    q = request.GET.get("q", "")
    return HttpResponse("<p>Results for " + q + "</p>")
# --- 04 safe
from django.http import HttpResponse
from django.utils.html import escape


def search(request):
    q = request.GET.get("q", "")
    return HttpResponse("<p>Results for " + escape(q) + "</p>")
# --- 05 vuln
from flask import Flask, make_response, request

app = Flask(__name__)


@app.route("/greet")
def greet():
    user = request.cookies.get("user", "guest")
    resp = make_response("<div>Welcome back, %s</div>" % user)
    return resp
# --- 06 safe
from flask import Flask, render_template, request

app = Flask(__name__)


@app.route("/greet")
def greet():
    user = request.cookies.get("user", "guest")
    return render_template("greet.html", user=user)
# --- 07 vuln
from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/page")
def page():
    title = request.args.get("title", "")
    return render_template_string("<title>" + title + "</title><body>hi</body>")
# --- 08 safe
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/api/echo")
def echo():
    msg = request.args.get("msg", "")
    return jsonify({"msg": msg})
# --- 09 vuln
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/welcome", response_class=HTMLResponse)
def welcome(name: str):
    return HTMLResponse(content=f"<html><body>Welcome {name}</body></html>")
# --- 10 safe
import html
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/welcome")
def welcome(name: str):
    return HTMLResponse(content=f"<html><body>Welcome {html.escape(name)}</body></html>")
# --- 11 vuln
from markupsafe import Markup
from flask import Flask, request, render_template

app = Flask(__name__)


@app.route("/bio")
def bio():
    text = request.args.get("bio", "")
    return render_template("bio.html", bio=Markup(text))
# --- 12 safe
from flask import Flask, request

app = Flask(__name__)
RAW_HTML = False


@app.route("/note")
def note():
    note = request.args.get("note", "")
    if RAW_HTML:
        return "<pre>" + note + "</pre>"
    return {"note": note}
# --- 13 vuln
from django.http import HttpResponse
from django.utils.safestring import mark_safe


def profile(request):
    about = request.POST.get("about", "")
    html = mark_safe("<section>" + about + "</section>")
    return HttpResponse(html)
# --- 14 safe
from flask import Flask, request

app = Flask(__name__)


@app.route("/count")
def count():
    items = request.args.getlist("item")
    n = len(items)
    return f"<p>You selected {n} items</p>"
# --- 15 vuln
from jinja2 import Environment
from flask import Flask, request

app = Flask(__name__)
env = Environment(autoescape=False)


@app.route("/card")
def card():
    tpl = env.from_string("<div class='card'>{{ body }}</div>")
    return tpl.render(body=request.args.get("body", ""))
# --- 16 safe
from jinja2 import Environment, select_autoescape
from flask import Flask, request

app = Flask(__name__)
env = Environment(autoescape=select_autoescape())


@app.route("/card")
def card():
    tpl = env.from_string("<div class='card'>{{ body }}</div>")
    return tpl.render(body=request.args.get("body", ""))
# --- 17 vuln
from starlette.requests import Request
from starlette.responses import HTMLResponse


async def error_page(request: Request):
    path = request.query_params.get("from", "/")
    return HTMLResponse("<p>Page not found: " + path + "</p>", status_code=404)
# --- 18 safe
from django.http import HttpResponse


def search(request):
    q = request.GET.get("q", "")
    q = "everything"
    return HttpResponse("<p>Results for " + q + "</p>")
# --- 19 vuln
from flask import Flask, Response, request

app = Flask(__name__)


def render_comment(author, body):
    return "<li><b>" + author + "</b>: " + body + "</li>"


@app.route("/preview", methods=["POST"])
def preview():
    html = render_comment(request.form["author"], request.form["body"])
    return Response(html, mimetype="text/html")
# --- 20 safe
from flask import Flask, Response, request

app = Flask(__name__)


@app.route("/download")
def download():
    data = request.args.get("data", "")
    return Response(data, mimetype="text/plain")
# --- 21 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/list")
def list_tags():
    tags = request.args.getlist("tag")
    items = "".join(f"<li>{t}</li>" for t in tags)
    return "<ul>" + items + "</ul>"
# --- 22 safe
import html
from flask import Flask, request

app = Flask(__name__)


@app.route("/list")
def list_tags():
    tags = request.args.getlist("tag")
    items = "".join(f"<li>{html.escape(t)}</li>" for t in tags)
    return "<ul>" + items + "</ul>"
# --- 23 vuln
from django.http import HttpResponse


def redirect_notice(request):
    nxt = request.GET["next"]
    body = "<a href='{}'>Continue</a>".format(nxt)
    return HttpResponse(body)
# --- 24 safe
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello(name: str):
    return {"message": f"<b>Hello {name}</b>"}
# --- 25 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/error")
def error():
    msg = request.args.get("msg", "")
    page = "<html><body>"
    page += "<div class='error'>" + msg + "</div>"
    page += "</body></html>"
    return page, 400
# --- 26 safe
from flask import Flask, request
from markupsafe import Markup, escape

app = Flask(__name__)


@app.route("/quote")
def quote():
    text = request.args.get("text", "")
    return Markup("<blockquote>%s</blockquote>") % escape(text)
"""
