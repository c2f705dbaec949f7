from __future__ import annotations

from typing import TypeAlias

import strawberry

from resolvers.context import Ctx

Info: TypeAlias = strawberry.Info[Ctx, None]
