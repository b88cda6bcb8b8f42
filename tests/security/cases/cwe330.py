"""Insufficiently random values (CWE-330): `random` used for tokens, codes and passwords."""

CWE = "CWE-330"

CASES = r"""
# --- 01 vuln
import random
import string


def make_reset_token() -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=32))
# --- 02 safe
import secrets


def make_reset_token() -> str:
    return secrets.token_urlsafe(32)
# --- 03 vuln
import random
from flask import Flask, session

app = Flask(__name__)


@app.route("/otp")
def otp():
    code = random.randint(100000, 999999)
    session["otp_code"] = code
    return "sent"
# --- 04 safe
import random


def shuffle_playlist(songs: list[str]) -> list[str]:
    order = list(songs)
    random.shuffle(order)
    return order
# --- 05 vuln
import random
import string


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#$"
    return "".join(random.choice(alphabet) for _ in range(length))
# --- 06 safe
import secrets
import string


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#$"
    return "".join(secrets.choice(alphabet) for _ in range(length))
# --- 07 vuln
import random


def new_api_key() -> str:
    return "%032x" % random.getrandbits(128)
# --- 08 safe
import random


def jitter(delay: float) -> float:
    return delay * (1 + random.uniform(-0.1, 0.1))
# --- 09 vuln
import random
from django.http import JsonResponse


def invite(request):
    invite_code = "".join(str(random.randint(0, 9)) for _ in range(8))
    return JsonResponse({"invite": invite_code})
# --- 10 safe
import random

rng = random.SystemRandom()


def session_id() -> str:
    return "%064x" % rng.getrandbits(256)
# --- 11 vuln
import random


class Session:
    def __init__(self):
        self.session_id = str(random.random())[2:]
# --- 12 safe
import random


def sample_for_review(items: list[int], k: int = 10) -> list[int]:
    return random.sample(items, min(k, len(items)))
# --- 13 vuln
import random
import string


def csrf_token():
    chars = string.ascii_letters
    return "".join(random.sample(chars, 20))
# --- 14 safe
import secrets


def csrf_token() -> str:
    return secrets.token_hex(20)
# --- 15 vuln
import random
from fastapi import FastAPI

app = FastAPI()


@app.post("/verify-email")
def verify_email(email: str):
    verification_code = f"{random.randrange(10**6):06d}"
    return {"email": email, "sent": bool(verification_code)}
# --- 16 safe
import random


def random_color() -> str:
    return "#%06x" % random.randint(0, 0xFFFFFF)
# --- 17 vuln
import random


def make_salt() -> bytes:
    return bytes(random.randint(0, 255) for _ in range(16))
# --- 18 safe
import os


def make_salt() -> bytes:
    return os.urandom(16)
# --- 19 vuln
import random
import string


def generate_nonce(n=16):
    return "".join(random.choice(string.hexdigits) for _ in range(n))
# --- 20 safe
import random


def pick_backend(backends: list[str]) -> str:
    return random.choice(backends)
# --- 21 vuln
import random
import uuid


def magic_link_token():
    random.seed(uuid.uuid1().int)
    return hex(random.getrandbits(64))
# --- 22 safe
import random

random.seed(42)


def split_dataset(rows: list[int]) -> tuple[list[int], list[int]]:
    shuffled = rows[:]
    random.shuffle(shuffled)
    cut = int(len(shuffled) * 0.8)
    return shuffled[:cut], shuffled[cut:]
# --- 23 vuln
import random


def make_pin():
    pin_code = "".join(random.choices("0123456789", k=4))
    return pin_code
# --- 24 safe
import secrets


def make_pin():
    pin_code = "".join(secrets.choice("0123456789") for _ in range(4))
    return pin_code
# --- 25 vuln
import random
import string
from flask import Flask

app = Flask(__name__)


@app.route("/share")
def share():
    secret = "".join(random.choices(string.ascii_lowercase, k=10))
    return {"link": f"/s/{secret}"}
# --- 26 safe
import random


def retry_delays(n: int) -> list[float]:
    return [2**i + random.random() for i in range(n)]
"""
