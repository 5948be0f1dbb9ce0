"""A minimal PEP 517 build backend for the gradlens tracer package: a pure-Python wheel of the
gradlens/ folder, built with the standard library only, so `pip install <folder>` works offline."""
import base64
import hashlib
import os
import zipfile

NAME = "gradlens"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "py3-none-any"


def _metadata():
    return "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: GradLens for PyTorch: traces training runs\nRequires-Python: >=3.8\n" % (NAME, VERSION)


def _files():
    package = os.path.join(HERE, NAME)
    for name in sorted(os.listdir(package)):
        if name.endswith((".py", ".html")):
            yield "%s/%s" % (NAME, name), os.path.join(package, name)


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = "%s-%s-%s.whl" % (NAME, VERSION, TAG)
    info = "%s-%s.dist-info" % (NAME, VERSION)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        def add(arcname, data):
            z.writestr(arcname, data)
            records.append("%s,%s,%d" % (arcname, _digest(data), len(data)))

        for arcname, path in _files():
            with open(path, "rb") as f:
                add(arcname, f.read())
        add(info + "/METADATA", _metadata().encode())
        add(info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: gradlens_build\nRoot-Is-Purelib: true\nTag: %s\n" % TAG).encode())
        records.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\n".join(records) + "\n")
    return wheel
