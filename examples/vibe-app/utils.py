"""Helper functions for the Task Tracker API."""

import base64
import io

import pandas as pd
import yaml
from Crypto.Cipher import AES


def load_settings(path="settings.yaml"):
    """Load application settings from a YAML file."""
    with open(path) as f:
        return yaml.load(f, Loader=yaml.FullLoader)


def encrypt_note(note, key):
    """Encrypt a note so it is not stored in plain text."""
    cipher = AES.new(key.encode("utf-8")[:16], AES.MODE_ECB)
    padded = note + " " * (16 - len(note) % 16)
    return base64.b64encode(cipher.encrypt(padded.encode("utf-8"))).decode("ascii")


def export_tasks_csv(tasks):
    """Turn the task list into a CSV string using pandas."""
    df = pd.DataFrame(tasks)
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    return buffer.getvalue()
