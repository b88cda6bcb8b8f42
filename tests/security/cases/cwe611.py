"""XML external entities (CWE-611): untrusted XML given to a parser that expands entities."""

CWE = "CWE-611"

CASES = r"""
# --- 01 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/import", methods=["POST"])
def import_xml():
    root = etree.fromstring(request.data)
    return {"tag": root.tag}
# --- 02 safe
from defusedxml import ElementTree as DET
from flask import Flask, request

app = Flask(__name__)


@app.route("/import", methods=["POST"])
def import_xml():
    root = DET.fromstring(request.data)
    return {"tag": root.tag}
# --- 03 vuln
import xml.etree.ElementTree as ET
from django.http import JsonResponse


def feed(request):
    tree = ET.fromstring(request.body)
    return JsonResponse({"items": len(tree.findall("item"))})
# --- 04 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@app.route("/import", methods=["POST"])
def import_xml():
    root = etree.fromstring(request.data, parser=PARSER)
    return {"tag": root.tag}
# --- 05 vuln
from xml.dom import minidom
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/soap")
async def soap(request: Request):
    body = await request.body()
    doc = minidom.parseString(body)
    return {"root": doc.documentElement.tagName}
# --- 06 safe
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)
TEMPLATE = "<config><mode>default</mode></config>"


@app.route("/mode")
def mode():
    wanted = request.args.get("mode", "default")
    root = ET.fromstring(TEMPLATE)
    return {"mode": root.findtext("mode"), "wanted": wanted}
# --- 07 vuln
import sys
from lxml import etree


def main():
    tree = etree.parse(sys.argv[1])
    print(tree.getroot().tag)
# --- 08 safe
import defusedxml.minidom
from django.http import JsonResponse


def feed(request):
    doc = defusedxml.minidom.parseString(request.body)
    return JsonResponse({"root": doc.documentElement.tagName})
# --- 09 vuln
import xml.sax
from flask import Flask, request

app = Flask(__name__)


class Handler(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def startElement(self, name, attrs):
        self.count += 1


@app.route("/count", methods=["POST"])
def count():
    handler = Handler()
    xml.sax.parseString(request.data, handler)
    return {"elements": handler.count}
# --- 10 safe
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/greet")
def greet():
    name = request.args.get("name", "")
    root = etree.Element("greeting")
    root.text = name
    return etree.tostring(root)
# --- 11 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


@app.route("/upload-xml", methods=["POST"])
def upload_xml():
    f = request.files["doc"]
    parser = etree.XMLParser(resolve_entities=True)
    tree = etree.parse(f, parser)
    return {"root": tree.getroot().tag}
# --- 12 safe
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)
STRICT = True


@app.route("/parse", methods=["POST"])
def parse():
    data = request.data
    if not STRICT:
        return {"tag": ET.fromstring(data).tag}
    return {"tag": None}
# --- 13 vuln
import xml.etree.ElementTree as ET
from starlette.requests import Request
from starlette.responses import JSONResponse


async def parse(request: Request):
    data = await request.body()
    root = ET.fromstring(data.decode())
    return JSONResponse({"tag": root.tag})
# --- 14 safe
from defusedxml.lxml import fromstring
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/xml")
async def xml_endpoint(request: Request):
    root = fromstring(await request.body())
    return {"tag": root.tag}
# --- 15 vuln
from lxml import etree
from flask import Flask, request

app = Flask(__name__)


def parse_invoice(xml_text):
    return etree.fromstring(xml_text.encode())


@app.route("/invoice", methods=["POST"])
def invoice():
    root = parse_invoice(request.form["xml"])
    return {"total": root.findtext("total")}
# --- 16 safe
import xml.etree.ElementTree as ET


def load_settings():
    tree = ET.parse("config/settings.xml")
    return {child.tag: child.text for child in tree.getroot()}
# --- 17 vuln
from xml.dom import pulldom
from django.http import HttpResponse


def stream(request):
    events = pulldom.parseString(request.body.decode())
    n = sum(1 for _ in events)
    return HttpResponse(str(n))
# --- 18 safe
from lxml import etree
from django.http import HttpResponse


def render(request):
    body = request.body
    body = b"<ok/>"
    return HttpResponse(etree.tostring(etree.fromstring(body)))
# --- 19 vuln
import os
import xml.etree.ElementTree as ET


def load():
    tree = ET.parse(os.environ["SETTINGS_XML"])
    return tree.getroot()
# --- 20 safe
import json
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)


@app.route("/to-xml", methods=["POST"])
def to_xml():
    data = json.loads(request.data)
    root = ET.Element("data")
    for key, value in data.items():
        ET.SubElement(root, "item", name=str(key)).text = str(value)
    return ET.tostring(root)
# --- 21 vuln
from lxml import objectify
from flask import Flask, request

app = Flask(__name__)


@app.route("/obj", methods=["POST"])
def obj():
    root = objectify.fromstring(request.get_data())
    return {"name": str(root.name)}
# --- 22 safe
import defusedxml.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)


@app.route("/feed", methods=["POST"])
def feed():
    root = ET.fromstring(request.get_data())
    return {"items": len(root)}
# --- 23 vuln
from lxml import etree
from fastapi import FastAPI

app = FastAPI()


@app.get("/parse")
def parse(doc: str):
    return {"tag": etree.XML(doc).tag}
# --- 24 safe
from lxml import etree
from fastapi import FastAPI

app = FastAPI()


@app.get("/parse")
def parse(doc: str):
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return {"tag": etree.fromstring(doc, parser).tag}
# --- 25 vuln
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)


@app.route("/batch", methods=["POST"])
def batch():
    payload = request.get_json()
    results = []
    for doc in payload["docs"]:
        results.append(ET.fromstring(doc).tag)
    return {"tags": results}
# --- 26 safe
import xml.etree.ElementTree as ET
from flask import Flask, request

app = Flask(__name__)


@app.route("/len", methods=["POST"])
def length():
    size = len(request.data)
    root = ET.fromstring(f"<size>{size}</size>")
    return {"size": root.text}
"""
