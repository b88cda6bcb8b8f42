"""Weak hash (CWE-328): MD5 or SHA-1 used for passwords, signatures or integrity."""

CWE = "CWE-328"

CASES = r"""
# --- 01 vuln
import hashlib


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()
# --- 02 safe
import hashlib
import os


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
    return salt.hex() + digest.hex()
# --- 03 vuln
import hashlib
from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    pw = request.form["password"]
    stored = hashlib.sha1(pw.encode()).hexdigest()
    return {"stored": stored}
# --- 04 safe
import hashlib


def cache_key(url: str) -> str:
    return hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()
# --- 05 vuln
import hashlib


def verify_download(path: str, expected: str) -> bool:
    with open(path, "rb") as fh:
        return hashlib.md5(fh.read()).hexdigest() == expected
# --- 06 safe
import hashlib


def verify_download(path: str, expected: str) -> bool:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == expected
# --- 07 vuln
import hashlib


def sign(payload: bytes, secret: bytes) -> str:
    return hashlib.new("md5", secret + payload).hexdigest()
# --- 08 safe
import hashlib
import hmac


def sign(payload: bytes, secret: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()
# --- 09 vuln
import hashlib
from django.contrib.auth.models import User


def set_password(user: User, raw: str) -> None:
    user.password = hashlib.sha1(raw.encode("utf-8")).hexdigest()
    user.save()
# --- 10 safe
import hashlib


def etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
# --- 11 vuln
import hashlib
import hmac


def sign_webhook(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.md5).hexdigest()
# --- 12 safe
import hashlib

LEGACY_MD5 = False


def fingerprint(data: bytes) -> str:
    if LEGACY_MD5:
        return hashlib.md5(data).hexdigest()
    return hashlib.sha256(data).hexdigest()
# --- 13 vuln
from hashlib import md5


def api_token(user_id: int, secret: str) -> str:
    return md5(f"{user_id}:{secret}".encode()).hexdigest()
# --- 14 safe
import bcrypt


def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())
# --- 15 vuln
import hashlib
from fastapi import FastAPI

app = FastAPI()


@app.post("/signup")
def signup(username: str, password: str):
    digest = hashlib.sha1(password.encode())
    return {"user": username, "hash": digest.hexdigest()}
# --- 16 safe
import hashlib


def shard_for(user_id: str, shards: int) -> int:
    h = hashlib.md5(user_id.encode(), usedforsecurity=False)
    return int(h.hexdigest(), 16) % shards
# --- 17 vuln
import hashlib


def checksum_file(path):
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(8192), b""):
            h.update(chunk)
    return h.hexdigest()
# --- 18 safe
import hashlib


def checksum_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(8192), b""):
            h.update(chunk)
    return h.hexdigest()
# --- 19 vuln
import hashlib


def password_matches(stored: str, candidate: str) -> bool:
    return hashlib.new("sha1", candidate.encode()).hexdigest() == stored
# --- 20 safe
import hashlib


def content_id(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
# --- 21 vuln
import hashlib
from django.http import JsonResponse


def reset_link(request):
    email = request.POST["email"]
    token = hashlib.md5((email + "salt").encode()).hexdigest()
    return JsonResponse({"link": f"/reset/{token}"})
# --- 22 safe
import hashlib

ALGORITHM = "sha256"


def digest(data: bytes) -> str:
    return hashlib.new(ALGORITHM, data).hexdigest()
# --- 23 vuln
import hashlib


class User:
    def __init__(self, name: str, password: str) -> None:
        self.name = name
        self.password_hash = hashlib.sha1(password.encode()).hexdigest()
# --- 24 safe
import hashlib


def gravatar_url(email: str) -> str:
    h = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://www.gravatar.com/avatar/{h}"
# --- 25 vuln
import hashlib
import sys


def main():
    data = sys.stdin.buffer.read()
    print("integrity:", hashlib.sha1(data).hexdigest())
# --- 26 safe
import hashlib


def hash_password(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1).hex()
"""
