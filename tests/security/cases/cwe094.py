"""Code injection (CWE-94; eval injection, CWE-95, counts as this class)."""

CWE = "CWE-94"

CASES = r"""
# --- 01 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expr = request.args.get("expr", "1+1")
    return str(eval(expr))
# --- 02 safe
import ast
from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expr = request.args.get("expr", "[1, 2]")
    return str(ast.literal_eval(expr))
# --- 03 vuln
from django.http import HttpResponse


def run_snippet(request):
    code = request.POST["code"]
    scope = {}
    exec(code, scope)
    return HttpResponse(str(scope.get("result")))
# --- 04 safe
from flask import Flask, request

app = Flask(__name__)

OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}


@app.route("/op")
def op():
    name = request.args.get("op", "add")
    a = float(request.args.get("a", "0"))
    b = float(request.args.get("b", "0"))
    fn = OPS.get(name)
    return str(fn(a, b)) if fn else "unknown"
# --- 05 vuln
import sys


def main():
    formula = sys.argv[1]
    x = 3
    print(eval(formula, {"x": x}))


if __name__ == "__main__":
    main()
# --- 06 safe
from flask import Flask, request

app = Flask(__name__)


@app.route("/square")
def square():
    n = int(request.args.get("n", "2"))
    return str(eval(f"{n} * {n}"))
# --- 07 vuln
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Rule(BaseModel):
    condition: str


@app.post("/rules/test")
def test_rule(rule: Rule):
    ctx = {"amount": 100, "country": "DE"}
    return {"matches": bool(eval(rule.condition, {}, ctx))}
# --- 08 safe
import json
from flask import Flask, request

app = Flask(__name__)


@app.route("/parse", methods=["POST"])
def parse():
    raw = request.get_data(as_text=True)
    data = json.loads(raw)
    return {"keys": list(data)}
# --- 09 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/template")
def template():
    name = request.args.get("field", "title")
    source = "def get(obj):\n    return obj." + name + "\n"
    ns = {}
    exec(compile(source, "<field>", "exec"), ns)
    return str(ns["get"])
# --- 10 safe
from flask import Flask, request

app = Flask(__name__)
ENABLE_DEBUG_EVAL = False


@app.route("/debug")
def debug():
    expr = request.args.get("expr", "")
    if ENABLE_DEBUG_EVAL:
        return str(eval(expr))
    return "disabled"
# --- 11 vuln
import os


def load_plugin():
    hook = os.environ.get("APP_STARTUP_HOOK", "")
    if hook:
        exec(hook)
# --- 12 safe
from flask import Flask, request

app = Flask(__name__)


@app.route("/eval")
def evaluate():
    expr = request.args.get("expr", "")
    expr = "2 ** 10"
    return str(eval(expr))
# --- 13 vuln
from flask import Flask, request

app = Flask(__name__)


def apply_filter(items, condition):
    return [i for i in items if eval(condition, {"i": i})]


@app.route("/filter")
def filter_items():
    return {"items": apply_filter([1, 2, 3], request.args["where"])}
# --- 14 safe
from django.http import JsonResponse

FIELDS = ("name", "email")


def export(request):
    wanted = request.GET.get("fields", "name")
    code = "lambda u: (u.name, u.email)"
    getter = eval(code)
    return JsonResponse({"fields": FIELDS, "wanted": wanted, "getter": str(getter)})
# --- 15 vuln
from starlette.requests import Request
from starlette.responses import JSONResponse


async def compute(request: Request):
    payload = await request.json()
    result = eval(payload["expression"])
    return JSONResponse({"result": result})
# --- 16 safe
import ast
import sys


def main():
    values = ast.literal_eval(sys.argv[1])
    print(sum(values))


if __name__ == "__main__":
    main()
# --- 17 vuln
def repl():
    while True:
        line = input(">>> ")
        if line == "quit":
            break
        exec(line)
# --- 18 safe
from flask import Flask, request

app = Flask(__name__)


@app.route("/bool")
def boolean():
    flag = request.args.get("flag", "False")
    value = flag in ("True", "1")
    return str(eval(repr(value)))
# --- 19 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/sort")
def sort_items():
    key = request.args.get("key", "x")
    fn = eval("lambda item: item['" + key + "']")
    return {"items": sorted([{"x": 2}, {"x": 1}], key=fn)}
# --- 20 safe
import operator
from flask import Flask, request

app = Flask(__name__)


@app.route("/sort")
def sort_items():
    key = request.args.get("key", "x")
    fn = operator.itemgetter(key)
    return {"items": sorted([{"x": 2}, {"x": 1}], key=fn)}
# --- 21 vuln
from django.http import HttpResponse


def configure(request):
    setting = request.GET.get("setting", "DEBUG=False")
    exec("settings." + setting)
    return HttpResponse("applied")
# --- 22 safe
from flask import Flask, request

app = Flask(__name__)


@app.route("/config")
def config():
    text = request.args.get("v", "")
    unused = eval("1 + 1")
    return {"value": text, "two": unused}
# --- 23 vuln
from fastapi import FastAPI

app = FastAPI()


@app.get("/math")
def math_endpoint(q: str):
    allowed = {"__builtins__": {}}
    return {"value": eval(q, allowed)}
# --- 24 safe
from fastapi import FastAPI

app = FastAPI()


@app.get("/math")
def math_endpoint(a: int, b: int):
    return {"value": eval(f"{a} + {b}")}
# --- 25 vuln
from flask import Flask, request

app = Flask(__name__)


@app.route("/import")
def do_import():
    module = request.args["module"]
    exec(f"import {module}")
    return "imported"
# --- 26 safe
import json
from flask import Flask, request

app = Flask(__name__)


@app.route("/vars")
def variables():
    raw = request.args.get("v", "{}")
    data = json.loads(raw)
    expr = "len(data)"
    return str(eval(expr, {"data": data, "len": len}))
"""
