"""Root operations of the account area: addresses, passwords, phone, the account
itself, and a board's roles, leaving and invitations."""

from __future__ import annotations

import strawberry
from strawberry import ID

from models import tables
from resolvers import account_delete, account_flows, invitations, members, phone
from resolvers.accounts import AuthResult
from schema.account_types import BoardInvitation
from schema.context import Info
from schema.types import AuthPayload, BoardMember, BoardRole, NotificationSettings, User, Viewer


def _auth(result: AuthResult) -> AuthPayload:
    return AuthPayload(access_token=result.access_token, refresh_token=result.refresh_token,
                       expires_in=result.expires_in, user=User.of(result.user))


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Extension: sets the viewer's name (the rule of signUp's name: trimmed, "
                                     "not blank,\nat most `limits.personNameMaxLength` characters).")
    async def update_profile(self, info: Info, name: str) -> Viewer:
        return Viewer.of(await account_flows.update_profile(info.context, name=name))

    @strawberry.mutation(description="Mails the viewer a single-use link that confirms their address.")
    async def request_email_verification(self, info: Info) -> bool:
        return await account_flows.request_email_verification(info.context)

    @strawberry.mutation
    async def verify_email(self, info: Info, token: str) -> Viewer:
        return Viewer.of(await account_flows.verify_email(info.context, token=token))

    @strawberry.mutation(description="Open to anonymous callers. Always true, whether or not the address has an "
                                     "account;\nmails a single-use reset link when it does.")
    async def request_password_reset(self, info: Info, email: str) -> bool:
        return await account_flows.request_password_reset(info.context, email=email)

    @strawberry.mutation(description="Open to anonymous callers. Sets the password, ends every other session, "
                                     "logs in.")
    async def reset_password(self, info: Info, token: str, new_password: str) -> AuthPayload:
        return _auth(await account_flows.reset_password(info.context, token=token, new_password=new_password))

    @strawberry.mutation(description="Ends every other session of the viewer.")
    async def change_password(self, info: Info, current_password: str, new_password: str) -> AuthPayload:
        return _auth(await account_flows.change_password(info.context, current_password=current_password,
                                                         new_password=new_password))

    @strawberry.mutation(description="Texts a 6-digit code to the number (and sets it as the viewer's "
                                     "phoneNumber, unconfirmed).")
    async def request_phone_verification(self, info: Info, phone_number: str) -> bool:
        return await phone.request_code(info.context, phone_number=phone_number)

    @strawberry.mutation
    async def verify_phone(self, info: Info, code: str) -> NotificationSettings:
        return NotificationSettings.of(await phone.verify_code(info.context, code=code))

    @strawberry.mutation(description="Deletes the viewer's account and personal data; refused (CONFLICT) while "
                                     "they are\nthe last owner of a board that has other members.")
    async def delete_account(self, info: Info, password: str) -> bool:
        return await account_delete.delete_account(info.context, password=password)


@strawberry.type
class MembershipMutation:
    @strawberry.mutation
    async def change_member_role(self, info: Info, board_id: ID, user_id: ID,
                                 role: BoardRole) -> BoardMember:  # type: ignore[valid-type]
        member = await members.change_role(info.context, board_id=str(board_id), user_id=str(user_id),
                                           role=tables.BoardRole(role))
        return BoardMember.of(member)

    @strawberry.mutation
    async def leave_board(self, info: Info, board_id: ID) -> bool:
        return await members.leave_board(info.context, board_id=str(board_id))

    @strawberry.mutation(description="Owners only. Mails an invitation link to the address, which may have no "
                                     "account yet.")
    async def invite_to_board(self, info: Info, board_id: ID, email: str,
                              role: BoardRole = tables.BoardRole.MEMBER  # type: ignore[valid-type]
                              ) -> BoardInvitation:
        return BoardInvitation.of(await invitations.invite(info.context, board_id=str(board_id), email=email,
                                                           role=tables.BoardRole(role)))

    @strawberry.mutation
    async def revoke_invitation(self, info: Info, id: ID) -> bool:
        return await invitations.revoke(info.context, invitation_id=str(id))

    @strawberry.mutation(description="By the invitee, signed in with the invited, verified address (by its id or "
                                     "by the mailed token).")
    async def accept_invitation(self, info: Info, id: ID | None = None, token: str | None = None) -> BoardMember:
        return BoardMember.of(await invitations.accept(info.context, invitation_id=str(id) if id else None,
                                                       token=token))

    @strawberry.mutation
    async def decline_invitation(self, info: Info, id: ID) -> bool:
        return await invitations.decline(info.context, invitation_id=str(id))
