"""Phone verification: a 6-digit code texted through the account outbox (SNS),
10 minutes, 5 tries; SMS goes only to a number confirmed this way."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from models import events as kinds
from models.errors import bad_input
from models.table_refs import codes_t
from models.tables import utcnow
from resolvers import account_outbox, validation
from resolvers.account_flows import active_user
from resolvers.context import Ctx
from resolvers.records import UserRec, users_t

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
BAD_CODE = "This code is wrong or has expired; ask for a new one"


def _digest(user_id: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


async def request_code(ctx: Ctx, *, phone_number: str) -> bool:
    viewer_id = ctx.require_viewer()
    number = validation.phone(phone_number)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = utcnow()
    async with ctx.write() as s:
        await active_user(s, viewer_id)
        await s.execute(update(users_t).where(users_t.c.id == viewer_id)
                        .values(phone_number=number, phone_verified_at=None))
        await s.execute(delete(codes_t).where(codes_t.c.user_id == viewer_id))
        await s.execute(insert(codes_t).values(user_id=viewer_id, phone_number=number,
                                               code_hash=_digest(viewer_id, code), expires_at=now + CODE_TTL,
                                               attempts=0))
        await account_outbox.enqueue(s, kinds.ACCOUNT_PHONE_CODE, user_id=viewer_id, sms_number=number, code=code,
                                     cap=ctx.services.sms_quota)
        await s.commit()
    account_outbox.nudge(ctx)
    return True


async def verify_code(ctx: Ctx, *, code: str) -> UserRec:
    viewer_id = ctx.require_viewer()
    now = utcnow()
    async with ctx.write() as s:
        user = await active_user(s, viewer_id)
        # The try is counted (and committed) before the code is compared.
        counted = await s.execute(update(codes_t).where(codes_t.c.user_id == viewer_id,
                                                        codes_t.c.attempts < MAX_TRIES, codes_t.c.expires_at > now)
                                  .values(attempts=codes_t.c.attempts + 1))
        row = (await s.execute(select(codes_t).where(codes_t.c.user_id == viewer_id))).first()
        ok = (counted.rowcount == 1 and row is not None and row.phone_number == user.phone_number
              and hmac.compare_digest(row.code_hash, _digest(viewer_id, code.strip()[:12])))
        if not ok:
            await s.commit()
            raise bad_input(BAD_CODE, "code")
        await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(phone_verified_at=now))
        await s.execute(delete(codes_t).where(codes_t.c.user_id == viewer_id))
        user = await active_user(s, viewer_id)
        await s.commit()
    rec = UserRec.from_row(user)
    ctx.loaders.users.prime(rec.id, rec)
    return rec
