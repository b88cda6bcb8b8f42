"""Path traversal (CWE-22)."""

CWE = "CWE-22"

CASES = r"""
# --- 01 vuln
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/download")
def download():
    name = request.args["file"]
    with open(os.path.join("/srv/files", name), "rb") as fh:
        return fh.read()
# --- 02 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/download")
def download():
    name = os.path.basename(request.args["file"])
    with open(os.path.join("/srv/files", name), "rb") as fh:
        return fh.read()
# --- 03 vuln
from flask import Flask, request, send_file

app = Flask(__name__)


@app.route("/report")
def report():
    path = "reports/" + request.args.get("name", "latest.pdf")
    return send_file(path)
# --- 04 safe
from flask import Flask, request, send_file
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.route("/report")
def report():
    name = secure_filename(request.args.get("name", "latest.pdf"))
    return send_file("reports/" + name)
# --- 05 vuln
from pathlib import Path
from fastapi import FastAPI

app = FastAPI()
BASE = Path("/srv/docs")


@app.get("/docs/{name}")
def read_doc(name: str):
    return {"text": (BASE / name).read_text()}
# --- 06 safe
from pathlib import Path
from fastapi import FastAPI, HTTPException

app = FastAPI()
BASE = Path("/srv/docs").resolve()


@app.get("/docs/{name}")
def read_doc(name: str):
    target = (BASE / name).resolve()
    if not target.is_relative_to(BASE):
        raise HTTPException(status_code=400)
    return {"text": target.read_text()}
# --- 07 vuln
import os
from django.http import HttpResponse


def delete_upload(request):
    filename = request.POST["filename"]
    os.remove(os.path.join("media/uploads", filename))
    return HttpResponse("deleted")
# --- 08 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/logs")
def logs():
    requested = request.args.get("file", "app.log")
    name = "app.log"
    with open(os.path.join("/var/log/myapp", name)) as fh:
        return {"requested": requested, "tail": fh.read()[-2000:]}
# --- 09 vuln
import sys


def main():
    path = sys.argv[1]
    with open(path, "w") as fh:
        fh.write("generated\n")


if __name__ == "__main__":
    main()
# --- 10 safe
import os
from flask import Flask, abort, request

app = Flask(__name__)
ROOT = os.path.realpath("/srv/static")


@app.route("/static-file")
def static_file():
    full = os.path.realpath(os.path.join(ROOT, request.args["p"]))
    if os.path.commonpath([ROOT, full]) != ROOT:
        abort(403)
    with open(full, "rb") as fh:
        return fh.read()
# --- 11 vuln
import shutil
from flask import Flask, request

app = Flask(__name__)


@app.route("/cleanup", methods=["POST"])
def cleanup():
    folder = request.form["folder"]
    shutil.rmtree("/srv/tmp/" + folder)
    return "ok"
# --- 12 safe
from flask import Flask, request

app = Flask(__name__)
THEMES = {"dark": "themes/dark.css", "light": "themes/light.css"}


@app.route("/theme")
def theme():
    choice = request.args.get("t", "light")
    path = THEMES.get(choice, THEMES["light"])
    with open(THEMES["light"] if choice not in THEMES else "themes/dark.css") as fh:
        return fh.read() + path[:0]
# --- 13 vuln
from django.http import FileResponse


def avatar(request, username):
    return FileResponse(open(f"avatars/{username}.png", "rb"))


def avatar_view(request):
    return avatar(request, request.GET["user"])
# --- 14 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/page/<int:page_id>")
def page(page_id):
    with open(os.path.join("pages", f"{page_id}.html")) as fh:
        return fh.read()
# --- 15 vuln
from pathlib import Path
from flask import Flask, request

app = Flask(__name__)
UPLOADS = Path("uploads")


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    dest = UPLOADS / f.filename
    f.save(dest)
    dest.write_text("x")
    return "saved"
# --- 16 safe
from pathlib import Path
from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
UPLOADS = Path("uploads")


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    dest = UPLOADS / secure_filename(f.filename)
    dest.write_bytes(f.read())
    return "saved"
# --- 17 vuln
import os
from starlette.requests import Request
from starlette.responses import PlainTextResponse


async def read_file(request: Request):
    rel = request.path_params["rel"]
    with open(os.path.join("/data", rel)) as fh:
        return PlainTextResponse(fh.read())
# --- 18 safe
import os
from flask import Flask, request

app = Flask(__name__)
DEBUG_DUMP = False


@app.route("/dump")
def dump():
    target = request.args.get("to", "dump.txt")
    if DEBUG_DUMP:
        with open(target, "w") as fh:
            fh.write("state")
    return "ok"
# --- 19 vuln
import tarfile
from flask import Flask, request

app = Flask(__name__)


@app.route("/extract")
def extract():
    archive = request.args["archive"]
    with tarfile.open("archives/" + archive) as tar:
        return {"names": tar.getnames()}
# --- 20 safe
import os
from django.http import HttpResponse

ALLOWED = ("terms.txt", "privacy.txt")


def legal(request):
    doc = request.GET.get("doc", "terms.txt")
    if doc not in ALLOWED:
        return HttpResponse(status=404)
    with open(os.path.join("legal", os.path.basename(doc))) as fh:
        return HttpResponse(fh.read())
# --- 21 vuln
import os
from flask import Flask, request

app = Flask(__name__)


def load_template(name):
    with open(os.path.join("templates", name)) as fh:
        return fh.read()


@app.route("/render")
def render():
    return load_template(request.args["tpl"])
# --- 22 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/size")
def size():
    name = request.args.get("name", "")
    length = len(name)
    with open(os.path.join("data", "sizes.txt")) as fh:
        return {"len": length, "data": fh.read()}
# --- 23 vuln
import os


def main():
    target = os.environ.get("EXPORT_DIR", "out")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "export.csv"), "w") as fh:
        fh.write("a,b\n")
# --- 24 safe
import uuid
from pathlib import Path
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    dest = Path("uploads") / f"{uuid.uuid4().hex}.bin"
    dest.write_bytes(data)
    return {"stored": dest.name, "original": file.filename}
# --- 25 vuln
from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()


@app.get("/files")
def files(path: str):
    return FileResponse("/srv/share/" + path)
# --- 26 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/thumb")
def thumb():
    name = request.args.get("name", "")
    name = name.replace("/", "_").replace("\\", "_").replace("..", "_")
    name = os.path.basename(name)
    with open(os.path.join("thumbs", name), "rb") as fh:
        return fh.read()
"""
