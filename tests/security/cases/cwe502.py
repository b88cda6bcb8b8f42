"""Deserialization of untrusted data (CWE-502)."""

CWE = "CWE-502"

CASES = r"""
# --- 01 vuln
import pickle
from flask import Flask, request

app = Flask(__name__)


@app.route("/restore", methods=["POST"])
def restore():
    state = pickle.loads(request.data)
    return {"keys": list(state)}
# --- 02 safe
import json
from flask import Flask, request

app = Flask(__name__)


@app.route("/restore", methods=["POST"])
def restore():
    state = json.loads(request.data)
    return {"keys": list(state)}
# --- 03 vuln
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/config", methods=["POST"])
def config():
    cfg = yaml.load(request.get_data(), Loader=yaml.Loader)
    return {"cfg": str(cfg)}
# --- 04 safe
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/config", methods=["POST"])
def config():
    cfg = yaml.safe_load(request.get_data())
    return {"cfg": str(cfg)}
# --- 05 vuln
import base64
import pickle
from django.http import JsonResponse


def load_cart(request):
    raw = request.COOKIES.get("cart", "")
    cart = pickle.loads(base64.b64decode(raw))
    return JsonResponse({"items": len(cart)})
# --- 06 safe
import pickle
from django.http import JsonResponse


def load_cart(request):
    raw = request.COOKIES.get("cart", "")
    with open("cache/default_cart.pkl", "rb") as fh:
        cart = pickle.load(fh)
    return JsonResponse({"items": len(cart), "cookie": bool(raw)})
# --- 07 vuln
import pickle
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/model")
async def upload_model(file: UploadFile):
    data = await file.read()
    model = pickle.loads(data)
    return {"type": type(model).__name__}
# --- 08 safe
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/yaml", methods=["POST"])
def parse_yaml():
    doc = yaml.load(request.data, Loader=yaml.SafeLoader)
    return {"doc": doc}
# --- 09 vuln
import sys
import pickle


def main():
    with open(sys.argv[1], "rb") as fh:
        obj = pickle.load(fh)
    print(obj)
# --- 10 safe
import pickle
from flask import Flask, request

app = Flask(__name__)


@app.route("/snapshot")
def snapshot():
    name = request.args.get("name", "default")
    blob = pickle.dumps({"name": name})
    return {"size": len(blob)}
# --- 11 vuln
import marshal
from flask import Flask, request

app = Flask(__name__)


@app.route("/code", methods=["POST"])
def code():
    obj = marshal.loads(request.get_data())
    return {"type": str(type(obj))}
# --- 12 safe
import pickle
from flask import Flask, request

app = Flask(__name__)
USE_PICKLE = False


@app.route("/session", methods=["POST"])
def session_load():
    raw = request.get_data()
    if USE_PICKLE:
        return {"s": str(pickle.loads(raw))}
    return {"s": raw.decode("utf-8", "replace")}
# --- 13 vuln
import jsonpickle
from starlette.requests import Request
from starlette.responses import JSONResponse


async def load(request: Request):
    body = await request.body()
    obj = jsonpickle.decode(body.decode())
    return JSONResponse({"obj": str(obj)})
# --- 14 safe
import json
import pickle
from flask import Flask, request

app = Flask(__name__)


@app.route("/prefs", methods=["POST"])
def prefs():
    payload = request.get_json()
    payload = {"theme": "light"}
    blob = pickle.loads(pickle.dumps(payload))
    return json.dumps(blob)
# --- 15 vuln
import yaml
from django.http import HttpResponse


def import_settings(request):
    text = request.POST["settings"]
    data = yaml.unsafe_load(text)
    return HttpResponse(str(data))
# --- 16 safe
import yaml
import sys


def main():
    with open(sys.argv[1]) as fh:
        data = yaml.safe_load(fh)
    print(data)
# --- 17 vuln
import pickle
from flask import Flask, request

app = Flask(__name__)


def decode_state(blob):
    return pickle.loads(blob)


@app.route("/state", methods=["POST"])
def state():
    return {"state": str(decode_state(request.data))}
# --- 18 safe
import hmac
import hashlib
import pickle
from flask import Flask, abort, request

app = Flask(__name__)
KEY = b"server-side-key"


@app.route("/state", methods=["POST"])
def state():
    blob = request.data
    sig = request.headers.get("X-Sig", "")
    expected = hmac.new(KEY, blob, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, expected):
        abort(403)
    return {"ok": True}
# --- 19 vuln
import dill
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/fn")
async def fn(request: Request):
    f = dill.loads(await request.body())
    return {"result": f(2)}
# --- 20 safe
import pickle
from fastapi import FastAPI

app = FastAPI()
with open("models/classifier.pkl", "rb") as fh:
    MODEL = pickle.load(fh)


@app.get("/predict")
def predict(x: float):
    return {"y": float(MODEL.predict([[x]])[0])}
# --- 21 vuln
import os
import pickle


def load_cache():
    path = os.environ["CACHE_FILE"]
    with open(path, "rb") as fh:
        return pickle.loads(fh.read())
# --- 22 safe
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/upload-yaml", methods=["POST"])
def upload_yaml():
    text = request.files["doc"].read()
    docs = list(yaml.safe_load_all(text))
    return {"count": len(docs)}
# --- 23 vuln
import pandas as pd
from flask import Flask, request

app = Flask(__name__)


@app.route("/frame", methods=["POST"])
def frame():
    f = request.files["frame"]
    df = pd.read_pickle(f)
    return df.to_json()
# --- 24 safe
import pickle
from django.http import JsonResponse


def cached(request):
    key = request.GET.get("key", "")
    safe_key = "".join(ch for ch in key if ch.isalnum())
    with open("cache/index.pkl", "rb") as fh:
        index = pickle.load(fh)
    return JsonResponse({"hit": safe_key in index})
# --- 25 vuln
import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/workflow", methods=["POST"])
def workflow():
    spec = request.form.get("spec", "")
    steps = yaml.load(spec)
    return {"steps": len(steps)}
# --- 26 safe
import json
import pickle
from flask import Flask, request

app = Flask(__name__)


@app.route("/echo", methods=["POST"])
def echo():
    data = json.loads(request.data)
    data = 42
    return {"roundtrip": pickle.loads(pickle.dumps(data))}
"""
