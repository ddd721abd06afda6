#!/usr/bin/env bash
# Packaging check: build the sdist and the wheel as a release would, then install each into a
# fresh virtualenv and use it as a new user does: import it, create a Django project with
# "rocketjob" in INSTALLED_APPS (the embedded server is the default) and run
# `manage.py rocketjob --help`. The wheel must carry every file of the packages in git
# (Mission Control's templates and static files, py.typed).
#
# Usage: .ci/check_package.sh [PYTHON]   (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/rocketjob-package-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== build (python -m build, isolated)"
"$PYTHON" -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install -q build
"$work/build-env/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; exit 1; }
sdist=$(ls "$work"/dist/*.tar.gz)
wheel=$(ls "$work"/dist/*.whl)
echo "built $(basename "$sdist") and $(basename "$wheel")"

echo "== the wheel carries every file of the packages"
git ls-files rocketjob mission_control | grep -v '\.py$' >"$work/expected" || true
"$PYTHON" - "$wheel" "$work/expected" <<'EOF'
import sys
import zipfile

wheel, expected_list = sys.argv[1], sys.argv[2]
names = set(zipfile.ZipFile(wheel).namelist())
expected = [line.strip() for line in open(expected_list) if line.strip()]
missing = [path for path in expected if path not in names]
templates = [n for n in names if n.startswith("mission_control/templates/")]
static = [n for n in names if n.startswith("mission_control/static/")]
print(f"{len(names)} files; {len(templates)} templates, {len(static)} static files")
if missing or not templates or not static:
    sys.exit(f"missing from the wheel: {missing or 'templates/static'}")
EOF

for artifact in "$wheel" "$sdist"; do
    name=$(basename "$artifact")
    echo "== install $name into a fresh venv"
    venv="$work/venv-${name%%.tar.gz}"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install -q "$artifact"
    "$venv/bin/python" -c "import rocketjob, mission_control; print('imported', rocketjob.__name__, mission_control.__name__)"
    project="$work/project-${name%%.tar.gz}"
    mkdir -p "$project"
    (
        cd "$project"
        "$venv/bin/django-admin" startproject mysite .
        "$venv/bin/python" - <<'EOF'
from pathlib import Path

settings = Path("mysite/settings.py")
text = settings.read_text()
anchor = next(a for a in ("'django.contrib.staticfiles',", '"django.contrib.staticfiles",') if a in text)
settings.write_text(text.replace(anchor, anchor + '\n    "rocketjob",', 1))
EOF
        "$venv/bin/python" manage.py check
        "$venv/bin/python" manage.py rocketjob --help >"$work/help.txt"
        grep -q -- "--processes" "$work/help.txt"
        echo "manage.py rocketjob --help: $(head -1 "$work/help.txt")"
    )
done
echo "== package check passed"
