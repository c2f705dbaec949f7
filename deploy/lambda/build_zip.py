#!/usr/bin/env python3
"""Build the mailer Lambda's deployment package: build/mailer-lambda.zip.

It holds only what the function runs (FILES: the handler, the mail templates,
the sender, the ledger, and `models/events.py`), standard library + boto3, which
the Lambda Python runtime provides.  Deterministic: fixed timestamps and permissions,
sorted entries, so the same sources give the same bytes (and Terraform's
source_code_hash changes only when the code does).

    python deploy/lambda/build_zip.py [--out build/mailer-lambda.zip]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = Path("build/mailer-lambda.zip")
FILES = ("models/__init__.py", "models/events.py", "models/tracing.py", "notify/__init__.py",
         "notify/account_mail.py", "notify/comment_mail.py", "notify/lambda_handler.py", "notify/mail_ledger.py",
         "notify/mail_send.py", "notify/mail_words.py", "notify/mailer.py", "notify/suppression.py",
         "notify/task_mail.py")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def build(root: Path = REPO_ROOT, out: Path | None = None) -> Path:
    """Write the zip (path relative to `root` unless absolute) and return its path."""
    target = out if out is not None else DEFAULT_OUT
    if not target.is_absolute():
        target = root / target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(FILES):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever builds it
            info.external_attr = (0o100644 & 0xFFFF) << 16
            zf.writestr(info, (root / name).read_bytes(), compresslevel=9)
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="relative to the repository root")
    args = parser.parse_args(argv)
    path = build(REPO_ROOT, args.out)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}  sha256={digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
