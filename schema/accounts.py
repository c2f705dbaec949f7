"""The accounts area: people, the viewer and their settings; signing up and in,
addresses, passwords, phone, and deleting the account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import ID, UNSET, Private

from models.errors import ApiError
from resolvers import account_delete, account_flows, accounts, phone
from resolvers import invitations as invitation_ops
from resolvers.records import PersonRec, UserRec
from schema.common import Node
from schema.context import Info
from schema.internals import to_camel_case
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.boards import BoardInvitation


@strawberry.type
class User(Node):
    id: ID
    email: str
    name: str
    created_at: DateTime

    @classmethod
    def of(cls, u: UserRec | PersonRec) -> User:
        return cls(id=ID(u.id), email=u.email, name=u.name, created_at=u.created_at)  # type: ignore[arg-type]


@strawberry.type
class NotificationSettings:
    email_on_task_change: bool = strawberry.field(
        description="Mail me when a task I supervise or am assigned to changes.")
    email_deadline_reminders: bool = strawberry.field(
        description="Mail me about my tasks that are due within a day or overdue.")
    sms_on_task_change: bool = strawberry.field(
        description="Also text me (SMS through SNS) when a task I am assigned to changes.")
    phone_number: str | None = strawberry.field(
        description="E.164 phone number for SMS, e.g. +821012345678; null when none is set.")
    phone_verified: bool = strawberry.field(default=False, description=(
        "True once the number was confirmed with the code texted to it; SMS goes only to confirmed numbers."))
    email_on_mention: bool = strawberry.field(default=True,
                                              description="Mail me when someone mentions me in a comment.")
    _email: Private[str | None] = None

    @strawberry.field(description=(
        "True when no more mail goes to the viewer's address: a mail to it bounced for good or was "
        "reported as spam (an extension of the contract)."))
    async def email_suppressed(self, info: Info) -> bool:
        return await self._suppression(info) is not None

    @strawberry.field(description="BOUNCE or COMPLAINT when emailSuppressed, else null (an extension of the contract).")
    async def email_suppressed_reason(self, info: Info) -> str | None:
        return await self._suppression(info)

    async def _suppression(self, info: Info) -> str | None:
        reader = info.context.services.mail_suppressions
        if reader is None or not self._email:
            return None
        reason: str | None = await reader.reason(self._email)
        return reason

    @classmethod
    def of(cls, u: UserRec) -> NotificationSettings:
        return cls(email_on_task_change=u.email_on_task_change, email_deadline_reminders=u.email_deadline_reminders,
                   sms_on_task_change=u.sms_on_task_change, phone_number=u.phone_number,
                   phone_verified=u.phone_verified, email_on_mention=u.email_on_mention, _email=u.email)


@strawberry.type
class Viewer:
    user: User
    notification_settings: NotificationSettings
    email_verified: bool = strawberry.field(
        default=False, description="True once the viewer followed the link mailed to their address.")

    @strawberry.field(description="Open invitations addressed to the viewer's (verified) email.")
    async def invitations(self, info: Info
                          ) -> list[Annotated[BoardInvitation, strawberry.lazy("schema.boards")]]:
        from schema.boards import BoardInvitation

        return [BoardInvitation.of(i) for i in await invitation_ops.viewer_invitations(info.context)]

    @classmethod
    def of(cls, u: UserRec) -> Viewer:
        return cls(user=User.of(u), notification_settings=NotificationSettings.of(u), email_verified=u.email_verified)


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_in: int = strawberry.field(description="Lifetime of the access token in seconds.")
    user: User

    @classmethod
    def of(cls, result: accounts.AuthResult) -> AuthPayload:
        return cls(access_token=result.access_token, refresh_token=result.refresh_token,
                   expires_in=result.expires_in, user=User.of(result.user))


@strawberry.input
class SignUpInput:
    email: str
    name: str
    password: str


@strawberry.input
class NotificationSettingsInput:
    email_on_task_change: bool | None = UNSET
    email_deadline_reminders: bool | None = UNSET
    sms_on_task_change: bool | None = UNSET
    phone_number: str | None = strawberry.field(
        default=UNSET, description="An explicit null removes the number; an invalid number is BAD_USER_INPUT.")
    email_on_mention: bool | None = strawberry.field(
        default=UNSET, description="Mail me when someone mentions me in a comment.")

    def changes(self) -> dict[str, Any]:
        """The settings given; a switch cannot be set to null."""
        kwargs: dict[str, Any] = {}
        for name in ("email_on_task_change", "email_deadline_reminders", "sms_on_task_change", "phone_number",
                     "email_on_mention"):
            value = getattr(self, name)
            if value is not UNSET:
                kwargs[name] = value
        for name in ("email_on_task_change", "email_deadline_reminders", "sms_on_task_change", "email_on_mention"):
            if name in kwargs and kwargs[name] is None:
                raise ApiError(accounts.ErrorCode.BAD_USER_INPUT, "Turn this setting on or off; it cannot be removed.",
                               field=to_camel_case(name))
        return kwargs


@strawberry.type
class AccountQuery:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        return Viewer.of(await accounts.viewer(info.context))


@strawberry.type
class SessionMutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        return AuthPayload.of(await accounts.sign_up(info.context, email=input.email, name=input.name,
                                                     password=input.password))

    @strawberry.mutation
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        return AuthPayload.of(await accounts.login(info.context, email=email, password=password))

    @strawberry.mutation
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        return AuthPayload.of(await accounts.refresh(info.context, refresh_token=refresh_token))

    @strawberry.mutation
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await accounts.logout(info.context, refresh_token=refresh_token)


@strawberry.type
class SettingsMutation:
    @strawberry.mutation
    async def update_notification_settings(self, info: Info, input: NotificationSettingsInput) -> NotificationSettings:
        return NotificationSettings.of(await accounts.update_notification_settings(info.context, **input.changes()))


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Extension: sets the viewer's name (the rule of signUp's name: trimmed, "
                                     "not blank,\nat most `limits.personNameMaxLength` characters).")
    async def update_profile(self, info: Info, name: str) -> Viewer:
        return Viewer.of(await account_flows.update_profile(info.context, name=name))

    @strawberry.mutation(description="Mails the viewer a single-use link that confirms their address.")
    async def request_email_verification(self, info: Info) -> bool:
        return await account_flows.request_email_verification(info.context)

    @strawberry.mutation(description="Confirms the viewer's address with the token its mail carried.")
    async def verify_email(self, info: Info, token: str) -> Viewer:
        return Viewer.of(await account_flows.verify_email(info.context, token=token))

    @strawberry.mutation(description="Open to anonymous callers. Always true, whether or not the address has an "
                                     "account;\nmails a single-use reset link when it does.")
    async def request_password_reset(self, info: Info, email: str) -> bool:
        return await account_flows.request_password_reset(info.context, email=email)

    @strawberry.mutation(description="Open to anonymous callers. Sets the password, ends every other session, "
                                     "logs in.")
    async def reset_password(self, info: Info, token: str, new_password: str) -> AuthPayload:
        return AuthPayload.of(await account_flows.reset_password(info.context, token=token, new_password=new_password))

    @strawberry.mutation(description="Ends every other session of the viewer.")
    async def change_password(self, info: Info, current_password: str, new_password: str) -> AuthPayload:
        return AuthPayload.of(await account_flows.change_password(info.context, current_password=current_password,
                                                                  new_password=new_password))

    @strawberry.mutation(description="Texts a 6-digit code to the number (and sets it as the viewer's "
                                     "phoneNumber, unconfirmed).")
    async def request_phone_verification(self, info: Info, phone_number: str) -> bool:
        return await phone.request_code(info.context, phone_number=phone_number)

    @strawberry.mutation(description="Confirms the viewer's phoneNumber with the code texted to it.")
    async def verify_phone(self, info: Info, code: str) -> NotificationSettings:
        confirmed = await phone.verify_code(info.context, code=code)
        return NotificationSettings.of(confirmed)

    @strawberry.mutation(description="Deletes the viewer's account and personal data; refused (CONFLICT) while "
                                     "they are\nthe last owner of a board that has other members.")
    async def delete_account(self, info: Info, password: str) -> bool:
        return await account_delete.delete_account(info.context, password=password)
