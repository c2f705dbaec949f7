// The GraphQL documents of accounts: name, addresses, passwords, phone, invitations, roles.

const USER = "id email name";
const AUTH = `accessToken refreshToken expiresIn user { ${USER} }`;
const INVITATION = `id boardId boardName email role createdAt expiresAt invitedBy { ${USER} }`;
export const SETTINGS_FIELDS = `emailOnTaskChange emailDeadlineReminders emailOnMention smsOnTaskChange
  phoneNumber phoneVerified emailSuppressed emailSuppressedReason`;

export const VIEWER_STATUS = `query ViewerStatus { viewer { emailVerified } }`;
export const REQUEST_VERIFICATION = `mutation RequestVerification { requestEmailVerification }`;
export const VERIFY_EMAIL = `mutation VerifyEmail($token: String!) { verifyEmail(token: $token) { emailVerified } }`;

export const REQUEST_RESET = `mutation RequestReset($email: String!) { requestPasswordReset(email: $email) }`;
export const RESET_PASSWORD = `mutation ResetPassword($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { ${AUTH} } }`;
export const CHANGE_PASSWORD = `mutation ChangePassword($current: String!, $password: String!) {
  changePassword(currentPassword: $current, newPassword: $password) { ${AUTH} } }`;

export const ACCOUNT_SETTINGS = `query AccountSettings {
  viewer { emailVerified user { ${USER} } notificationSettings { ${SETTINGS_FIELDS} } } }`;
export const SAVE_SETTINGS = `mutation SaveSettings($input: NotificationSettingsInput!) {
  updateNotificationSettings(input: $input) { ${SETTINGS_FIELDS} } }`;
export const REQUEST_PHONE_CODE = `mutation RequestPhoneCode($phone: String!) { requestPhoneVerification(phoneNumber: $phone) }`;
export const VERIFY_PHONE = `mutation VerifyPhone($code: String!) { verifyPhone(code: $code) { ${SETTINGS_FIELDS} } }`;
export const UPDATE_PROFILE = `mutation UpdateProfile($name: String!) { updateProfile(name: $name) { user { ${USER} } } }`;
export const DELETE_ACCOUNT = `mutation DeleteAccount($password: String!) { deleteAccount(password: $password) }`;

export const VIEWER_INVITATIONS = `query ViewerInvitations { viewer { emailVerified invitations { ${INVITATION} } } }`;
export const BOARD_INVITATIONS = `query BoardInvitations($id: ID!) { board(id: $id) { id invitations { ${INVITATION} } } }`;
export const INVITE = `mutation Invite($boardId: ID!, $email: String!, $role: BoardRole!) {
  inviteToBoard(boardId: $boardId, email: $email, role: $role) { ${INVITATION} } }`;
export const REVOKE_INVITATION = `mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) }`;
export const ACCEPT_INVITATION = `mutation AcceptInvitation($id: ID, $token: String) {
  acceptInvitation(id: $id, token: $token) { role } }`;
export const DECLINE_INVITATION = `mutation DeclineInvitation($id: ID!) { declineInvitation(id: $id) }`;

export const CHANGE_ROLE = `mutation ChangeRole($boardId: ID!, $userId: ID!, $role: BoardRole!) {
  changeMemberRole(boardId: $boardId, userId: $userId, role: $role) { role addedAt user { ${USER} } } }`;
export const LEAVE_BOARD = `mutation LeaveBoard($boardId: ID!) { leaveBoard(boardId: $boardId) }`;
