"""SQL injection (CWE-89)."""

CWE = "CWE-89"

CASES = r"""
# --- 01 vuln
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    conn = sqlite3.connect("app.db")
    rows = conn.execute(f"SELECT * FROM users WHERE name = '{name}'").fetchall()
    return {"users": rows}
# --- 02 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    conn = sqlite3.connect("app.db")
    rows = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()
    return {"users": rows}
# --- 03 vuln
from django.db import connection
from django.http import JsonResponse


def search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, title FROM blog_post WHERE title LIKE '%%" + term + "%%'")
        rows = cursor.fetchall()
    return JsonResponse({"results": rows})
# --- 04 safe
from django.db import connection
from django.http import JsonResponse


def search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, title FROM blog_post WHERE title LIKE %s", ["%" + term + "%"])
        rows = cursor.fetchall()
    return JsonResponse({"results": rows})
# --- 05 vuln
from fastapi import FastAPI
from sqlalchemy import create_engine, text

app = FastAPI()
engine = create_engine("sqlite:///app.db")


@app.get("/orders")
def orders(status: str):
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM orders WHERE status = '{status}'"))
        return [dict(r._mapping) for r in result]
# --- 06 safe
from fastapi import FastAPI
from sqlalchemy import create_engine, text

app = FastAPI()
engine = create_engine("sqlite:///app.db")


@app.get("/orders")
def orders(status: str):
    with engine.connect() as conn:
        result = conn.execute(text("SELECT * FROM orders WHERE status = :s"), {"s": status})
        return [dict(r._mapping) for r in result]
# --- 07 vuln
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/delete", methods=["POST"])
def delete():
    item_id = request.form.get("id")
    db = sqlite3.connect("app.db")
    query = "DELETE FROM items WHERE id = %s" % item_id
    db.execute(query)
    db.commit()
    return "deleted"
# --- 08 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/delete", methods=["POST"])
def delete():
    item_id = int(request.form.get("id", "0"))
    db = sqlite3.connect("app.db")
    db.execute(f"DELETE FROM items WHERE id = {item_id}")
    db.commit()
    return "deleted"
# --- 09 vuln
from django.http import JsonResponse
from myapp.models import Product


def products(request):
    order = request.GET.get("order", "name")
    items = Product.objects.raw("SELECT * FROM myapp_product ORDER BY " + order)
    return JsonResponse({"items": [p.name for p in items]})
# --- 10 safe
from django.http import JsonResponse
from myapp.models import Product

SORTABLE = {"name", "price", "created"}


def products(request):
    order = request.GET.get("order", "name")
    if order not in SORTABLE:
        order = "name"
    items = Product.objects.raw("SELECT * FROM myapp_product ORDER BY name")
    return JsonResponse({"items": [p.name for p in items], "order": order})
# --- 11 vuln
import sqlite3
import sys


def main():
    table = sys.argv[1]
    conn = sqlite3.connect("data.db")
    for row in conn.execute("SELECT count(*) FROM {}".format(table)):
        print(row)


if __name__ == "__main__":
    main()
# --- 12 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/stats")
def stats():
    requested = request.args.get("table", "events")
    table = "events"
    conn = sqlite3.connect("app.db")
    count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return {"count": count, "requested": requested}
# --- 13 vuln
import psycopg2
from flask import Flask, request

app = Flask(__name__)


def find_user(cur, email):
    cur.execute("SELECT id FROM accounts WHERE email = '" + email + "'")
    return cur.fetchone()


@app.route("/lookup")
def lookup():
    cur = psycopg2.connect("dbname=app").cursor()
    return {"id": find_user(cur, request.args["email"])}
# --- 14 safe
import psycopg2
from flask import Flask, request

app = Flask(__name__)


def find_user(cur, email):
    cur.execute("SELECT id FROM accounts WHERE email = %s", (email,))
    return cur.fetchone()


@app.route("/lookup")
def lookup():
    cur = psycopg2.connect("dbname=app").cursor()
    return {"id": find_user(cur, request.args["email"])}
# --- 15 vuln
import pandas as pd
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/report")
def report():
    region = request.args.get("region", "eu")
    conn = sqlite3.connect("sales.db")
    df = pd.read_sql_query(f"SELECT * FROM sales WHERE region = '{region}'", conn)
    return df.to_json()
# --- 16 safe
import pandas as pd
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/report")
def report():
    region = request.args.get("region", "eu")
    conn = sqlite3.connect("sales.db")
    df = pd.read_sql_query("SELECT * FROM sales WHERE region = ?", conn, params=(region,))
    return df.to_json()
# --- 17 vuln
from django.db import connection
from django.http import HttpResponse


def bump(request, slug):
    sql = "UPDATE pages SET views = views + 1 WHERE slug = '%s'" % slug
    with connection.cursor() as cur:
        cur.execute(sql)
    return HttpResponse("ok")


def bump_from_query(request):
    return bump(request, request.GET["slug"])
# --- 18 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)
LEGACY = False


@app.route("/by-tag")
def by_tag():
    tag = request.args.get("tag", "")
    conn = sqlite3.connect("app.db")
    if LEGACY:
        rows = conn.execute("SELECT * FROM posts WHERE tag = '" + tag + "'").fetchall()
    else:
        rows = conn.execute("SELECT * FROM posts WHERE tag = ?", (tag,)).fetchall()
    return {"rows": rows}
# --- 19 vuln
import sqlite3
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/notes")
async def add_note(request: Request):
    body = await request.json()
    conn = sqlite3.connect("notes.db")
    conn.executescript("INSERT INTO notes(text) VALUES ('" + body["text"] + "');")
    return {"ok": True}
# --- 20 safe
import sqlite3
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def get_item(item_id: int):
    conn = sqlite3.connect("app.db")
    row = conn.execute("SELECT * FROM items WHERE id = %d" % item_id).fetchone()
    return {"item": row}
# --- 21 vuln
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
db = SQLAlchemy(app)


@app.route("/login", methods=["POST"])
def login():
    user = request.form["username"]
    pw = request.form["password"]
    q = "SELECT id FROM users WHERE username = '{}' AND password = '{}'".format(user, pw)
    row = db.session.execute(text(q)).first()
    return "welcome" if row else "denied"
# --- 22 safe
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
db = SQLAlchemy(app)


@app.route("/login", methods=["POST"])
def login():
    user = request.form["username"]
    q = text("SELECT id, pw_hash FROM users WHERE username = :u")
    row = db.session.execute(q, {"u": user}).first()
    return "found" if row else "denied"
# --- 23 vuln
import sqlite3


def main():
    conn = sqlite3.connect("inventory.db")
    sku = input("SKU: ").strip()
    qty = conn.execute("SELECT qty FROM stock WHERE sku = '%s'" % sku).fetchone()
    print(qty)
# --- 24 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/columns")
def columns():
    fields = request.args.getlist("f")
    placeholders = ", ".join("?" for _ in fields)
    conn = sqlite3.connect("app.db")
    sql = f"SELECT * FROM tags WHERE name IN ({placeholders})"
    return {"rows": conn.execute(sql, fields).fetchall()}
# --- 25 vuln
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/filter")
def filter_rows():
    clauses = []
    for key, value in request.args.items():
        clauses.append(f"{key} = '{value}'")
    sql = "SELECT * FROM events WHERE " + " AND ".join(clauses)
    conn = sqlite3.connect("app.db")
    return {"rows": conn.execute(sql).fetchall()}
# --- 26 safe
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/page")
def page():
    raw = request.args.get("page", "1")
    offset = (int(raw) - 1) * 20
    conn = sqlite3.connect("app.db")
    rows = conn.execute("SELECT * FROM posts LIMIT 20 OFFSET " + str(offset)).fetchall()
    return {"rows": rows}
"""
