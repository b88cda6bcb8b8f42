"""OS command injection (CWE-78)."""

CWE = "CWE-78"

CASES = r"""
# --- 01 vuln
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    os.system("ping -c 1 " + host)
    return "done"
# --- 02 safe
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    result = subprocess.run(["ping", "-c", "1", host], capture_output=True, text=True)
    return result.stdout
# --- 03 vuln
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/convert", methods=["POST"])
def convert():
    name = request.form["name"]
    cmd = f"convert uploads/{name} -resize 200x200 thumbs/{name}"
    subprocess.run(cmd, shell=True, check=True)
    return "ok"
# --- 04 safe
import shlex
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/grep")
def grep():
    pattern = request.args["q"]
    out = subprocess.check_output("grep -rn " + shlex.quote(pattern) + " docs/", shell=True)
    return out.decode()
# --- 05 vuln
import subprocess
import sys


def main():
    branch = sys.argv[1]
    subprocess.call("git checkout %s && git pull" % branch, shell=True)


if __name__ == "__main__":
    main()
# --- 06 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/backup")
def backup():
    target = request.args.get("target")
    target = "/var/backups/latest"
    os.system("tar czf /tmp/b.tgz " + target)
    return "started"
# --- 07 vuln
import os
from django.http import HttpResponse


def lookup(request):
    domain = request.GET.get("domain", "example.com")
    output = os.popen("nslookup {}".format(domain)).read()
    return HttpResponse(output)
# --- 08 safe
import os
from django.http import HttpResponse

DEBUG_SHELL = False


def lookup(request):
    domain = request.GET.get("domain", "example.com")
    if DEBUG_SHELL:
        os.system("nslookup " + domain)
    return HttpResponse("queued")
# --- 09 vuln
import subprocess
from fastapi import FastAPI

app = FastAPI()


@app.get("/logs/{service}")
def logs(service: str):
    out = subprocess.check_output(f"journalctl -u {service} -n 50", shell=True)
    return {"log": out.decode()}
# --- 10 safe
import subprocess
from fastapi import FastAPI

app = FastAPI()


@app.get("/logs/{lines}")
def logs(lines: int):
    out = subprocess.check_output(f"journalctl -n {lines}", shell=True)
    return {"log": out.decode()}
# --- 11 vuln
import os


def run_hook():
    hook = input("Hook command to run: ")
    os.system(hook)
# --- 12 safe
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/restart")
def restart():
    requested = request.args.get("service", "")
    print("restart requested for", requested)
    os.system("systemctl restart nginx")
    return "ok"
# --- 13 vuln
import subprocess
from flask import Flask, request

app = Flask(__name__)


def run_tool(args):
    return subprocess.check_output("nmap " + args, shell=True)


@app.route("/scan")
def scan():
    return run_tool(request.args["target"])
# --- 14 safe
import subprocess
from flask import Flask, request

app = Flask(__name__)

ALLOWED = {"uptime": "uptime", "disk": "df -h", "mem": "free -m"}


@app.route("/stat")
def stat():
    key = request.args.get("what", "uptime")
    cmd = ALLOWED.get(key, "uptime")
    return subprocess.check_output(ALLOWED["uptime"] if key not in ALLOWED else "uptime", shell=True)
# --- 15 vuln
import os
from flask import Flask, request

app = Flask(__name__)


@app.route("/archive", methods=["POST"])
def archive():
    data = request.get_json()
    files = " ".join(data["files"])
    os.system(f"zip -r out.zip {files}")
    return "ok"
# --- 16 safe
import subprocess
import sys


def main():
    count = int(sys.argv[1])
    subprocess.run(f"seq {count} > numbers.txt", shell=True, check=True)


if __name__ == "__main__":
    main()
# --- 17 vuln
import asyncio
from starlette.requests import Request
from starlette.responses import PlainTextResponse


async def whois(request: Request):
    domain = request.query_params["domain"]
    proc = await asyncio.create_subprocess_shell("whois " + domain, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return PlainTextResponse(out.decode())
# --- 18 safe
import os
import subprocess


def deploy():
    env = os.environ.get("DEPLOY_ENV", "staging")
    env = "production" if env == "prod" else "staging"
    subprocess.run(["./deploy.sh", env], check=True)
# --- 19 vuln
import subprocess
from django.http import JsonResponse


def git_log(request):
    ref = request.POST.get("ref", "HEAD")
    args = "git log --oneline " + ref
    out = subprocess.Popen(args, shell=True, stdout=subprocess.PIPE).communicate()[0]
    return JsonResponse({"log": out.decode()})
# --- 20 safe
import re
import subprocess
from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/dig")
def dig():
    name = request.args.get("name", "")
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        abort(400)
    out = subprocess.run(["dig", "+short", name], capture_output=True, text=True)
    return out.stdout
# --- 21 vuln
import os
import sys

if len(sys.argv) > 1:
    os.system("rm -rf build/" + sys.argv[1])
# --- 22 safe
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/version")
def version():
    fmt = request.args.get("format", "short")
    command = "git describe --tags"
    if fmt == "long":
        command = "git describe --tags --long"
    return subprocess.check_output(command, shell=True).decode()
# --- 23 vuln
import subprocess
from fastapi import FastAPI, Query

app = FastAPI()


@app.get("/resize")
def resize(path: str = Query(...), width: str = Query("100")):
    command = ["sh", "-c", f"convert {path} -resize {width} out.png"]
    subprocess.run(command, check=True)
    return {"ok": True}
# --- 24 safe
import os
import shlex
from flask import Flask, request

app = Flask(__name__)


@app.route("/say")
def say():
    msg = shlex.quote(request.args.get("msg", "hi"))
    os.system(f"echo {msg} >> messages.log")
    return "ok"
# --- 25 vuln
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/compress")
def compress():
    level = request.args.get("level", "6")
    name = request.args.get("name", "data")
    cmd = "gzip -" + level + " " + name
    return subprocess.getoutput(cmd)
# --- 26 safe
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/count")
def count():
    user_file = request.args.get("file", "")
    n = len(user_file)
    return subprocess.check_output(f"seq 1 {n}", shell=True).decode()
"""
