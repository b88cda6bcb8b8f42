"""XPath injection (CWE-643): input built into an XPath expression."""

CWE = "CWE-643"

CASES = r"""
# --- 01 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")


@app.route("/user")
def user():
    name = request.args["name"]
    found = TREE.xpath("//user[@name='" + name + "']")
    return {"found": len(found)}
# --- 02 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")


@app.route("/user")
def user():
    name = request.args["name"]
    found = TREE.xpath("//user[@name=$name]", name=name)
    return {"found": len(found)}
# --- 03 vuln
from lxml import etree
from django.http import JsonResponse

DOC = etree.parse("catalog.xml")


def book(request):
    isbn = request.GET.get("isbn", "")
    titles = DOC.xpath(f"//book[isbn='{isbn}']/title/text()")
    return JsonResponse({"titles": [str(t) for t in titles]})
# --- 04 safe
from lxml import etree
from django.http import JsonResponse

DOC = etree.parse("catalog.xml")


def book(request):
    isbn = request.GET.get("isbn", "")
    titles = DOC.xpath("//book[isbn=$isbn]/title/text()", isbn=isbn)
    return JsonResponse({"titles": [str(t) for t in titles]})
# --- 05 vuln
from lxml import etree
from fastapi import FastAPI

app = FastAPI()
ROOT = etree.parse("products.xml").getroot()


@app.get("/price")
def price(sku: str):
    nodes = ROOT.xpath("//product[@sku='%s']/price" % sku)
    return {"price": nodes[0].text if nodes else None}
# --- 06 safe
from lxml import etree
from fastapi import FastAPI

app = FastAPI()
ROOT = etree.parse("products.xml").getroot()


@app.get("/price/{index}")
def price(index: int):
    nodes = ROOT.xpath(f"//product[{index}]/price")
    return {"price": nodes[0].text if nodes else None}
# --- 07 vuln
import sys
from lxml import etree


def main():
    tree = etree.parse("config.xml")
    for node in tree.xpath("//setting[@key='{}']".format(sys.argv[1])):
        print(node.text)
# --- 08 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")


@app.route("/users")
def users():
    role = request.args.get("role", "")
    everyone = TREE.xpath("//user/@name")
    return {"users": [str(u) for u in everyone], "role": role}
# --- 09 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    user = request.form["user"]
    pw = request.form["pw"]
    tree = etree.parse("accounts.xml")
    q = "//account[user/text()='" + user + "' and pass/text()='" + pw + "']"
    return "ok" if tree.xpath(q) else "denied"
# --- 10 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")
FIND = etree.XPath("//user[@name=$n]")


@app.route("/u")
def u():
    return {"n": len(FIND(TREE, n=request.args.get("n", "")))}
# --- 11 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("menu.xml")


@app.route("/dish")
def dish():
    expr = etree.XPath("//dish[name='" + request.args.get("name", "") + "']")
    return {"n": len(expr(TREE))}
# --- 12 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")


@app.route("/by-name")
def by_name():
    name = request.args.get("name", "")
    name = "guest"
    return {"n": len(TREE.xpath(f"//user[@name='{name}']"))}
# --- 13 vuln
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)
TREE = ET.parse("staff.xml")


@app.route("/staff")
def staff():
    dept = request.args.get("dept", "")
    return {"n": len(TREE.findall(".//person[@dept='" + dept + "']"))}
# --- 14 safe
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)
TREE = ET.parse("staff.xml")


@app.route("/staff")
def staff():
    dept = request.args.get("dept", "")
    people = [p for p in TREE.findall(".//person") if p.get("dept") == dept]
    return {"n": len(people)}
# --- 15 vuln
from lxml import etree
from django.http import JsonResponse

DOC = etree.parse("orders.xml")


def find_orders(customer):
    return DOC.xpath("//order[customer='" + customer + "']")


def orders(request):
    return JsonResponse({"n": len(find_orders(request.GET["customer"]))})
# --- 16 safe
from lxml import etree
from django.http import JsonResponse

DOC = etree.parse("orders.xml")
DEBUG_XPATH = False


def orders(request):
    expr = request.GET.get("xpath", "")
    if DEBUG_XPATH:
        return JsonResponse({"n": len(DOC.xpath(expr))})
    return JsonResponse({"n": len(DOC.xpath("//order"))})
# --- 17 vuln
from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse

DOC = etree.parse("inventory.xml")


async def stock(request: Request):
    item = request.query_params.get("item", "")
    nodes = DOC.xpath("count(//item[name='" + item + "'])")
    return JSONResponse({"count": nodes})
# --- 18 safe
from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse

DOC = etree.parse("inventory.xml")


async def stock(request: Request):
    item = request.query_params.get("item", "")
    nodes = DOC.xpath("count(//item[name=$item])", item=item)
    return JSONResponse({"count": nodes})
# --- 19 vuln
from lxml import etree
from fastapi import FastAPI

app = FastAPI()
DOC = etree.parse("library.xml")


@app.get("/author")
def author(name: str):
    result = DOC.getroot().xpath(f"//book[author='{name}']/title")
    return {"titles": [t.text for t in result]}
# --- 20 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("users.xml")
FIELDS = {"name": "//user/@name", "email": "//user/@email"}


@app.route("/field")
def field():
    key = request.args.get("field", "name")
    expr = FIELDS.get(key, FIELDS["name"])
    return {"values": [str(v) for v in TREE.xpath(FIELDS["name"] if key not in FIELDS else "//user/@email")]}
# --- 21 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("events.xml")


@app.route("/events")
def events():
    conditions = [f"@{k}='{v}'" for k, v in request.args.items()]
    expr = "//event[" + " and ".join(conditions) + "]"
    return {"n": len(TREE.xpath(expr))}
# --- 22 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
TREE = etree.parse("events.xml")


@app.route("/events/<int:year>")
def events(year):
    return {"n": len(TREE.xpath("//event[@year='%d']" % year))}
# --- 23 vuln
import os
from lxml import etree


def configured_nodes():
    expr = os.environ.get("NODE_SELECTOR", "//node")
    return etree.parse("nodes.xml").xpath("//cluster" + expr)
# --- 24 safe
from lxml import etree
from fastapi import FastAPI

app = FastAPI()
DOC = etree.parse("library.xml")


@app.get("/author")
def author(name: str):
    titles = [b.findtext("title") for b in DOC.iter("book") if b.findtext("author") == name]
    return {"titles": titles}
# --- 25 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/config")
def config():
    section = request.args.get("section", "main")
    tree = etree.parse("app.xml")
    path = "/config/%s/value" % section
    return {"values": [v.text for v in tree.xpath(path)]}
# --- 26 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/has")
def has():
    key = request.args.get("key", "")
    tree = etree.parse("app.xml")
    return {"has": bool(tree.xpath("//entry[@key=$k]", k=key))}
"""
