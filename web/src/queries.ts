// The GraphQL documents the client sends.

const USER = "id email name";
// labels: ids only; the board's labels give names and colours (a board page of
// tasks with every label's fields would cost more than the limit allows).
// viewerCan: what this viewer may do, with the server's reasons (the rule lives only there).
export const TASK_FIELDS = `id title description status deadline version createdAt updatedAt rank commentCount
  assignee { ${USER} } supervisor { ${USER} } labels { id }
  viewerCan { update move delete comment updateReason moveReason deleteReason commentReason }`;
const LABEL_FIELDS = "id name color";
// No `mentions`: a plain list prices as a page per comment; the body's @emails say the same.
const COMMENT_FIELDS = `id taskId body createdAt editedAt author { ${USER} }`;
const MEMBER_FIELDS = `role addedAt user { ${USER} }`;
const AUTH = `accessToken refreshToken expiresIn user { ${USER} }`;

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${AUTH} } }`;
export const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH} } }`;
export const REFRESH = `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ${AUTH} } }`;
export const LOGOUT = `mutation Logout($token: String!) { logout(refreshToken: $token) }`;

export const LIMITS = `query Limits { limits { titleMaxLength descriptionMaxLength boardNameMaxLength labelNameMaxLength
  commentMaxLength personNameMaxLength searchMaxLength passwordMinLength passwordMaxLength } }`;

export const VIEWER_EVENTS = `subscription ViewerEvents { viewerEvents { kind boardId boardName role byName at } }`;

export const MY_TASKS = `query MyTasks($after: String) {
  myTasks(first: 100, after: $after, orderBy: {field: DEADLINE, direction: ASC}) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title status deadline board { id name } } }
  }
}`;

export const BOARDS = `query Boards { boards { id name viewerRole createdAt } }`;
export const CREATE_BOARD = `mutation CreateBoard($name: String!) { createBoard(name: $name) { id name viewerRole createdAt } }`;

export const BOARD = `query Board($id: ID!, $after: String) {
  board(id: $id) {
    id name viewerRole createdAt lastSeq
    members { ${MEMBER_FIELDS} }
    labels { ${LABEL_FIELDS} }
    tasks(first: 50, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${TASK_FIELDS} } }
    }
  }
}`;

export const BOARD_TASKS_PAGE = `query BoardTasks($id: ID!, $after: String) {
  board(id: $id) {
    tasks(first: 50, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor } edges { node { ${TASK_FIELDS} } }
    }
  }
}`;

export const TASK = `query Task($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`;

export const CREATE_TASK = `mutation CreateTask($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`;
export const UPDATE_TASK = `mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) { ${TASK_FIELDS} } }`;
export const DELETE_TASK = `mutation DeleteTask($id: ID!, $expectedVersion: Int) { deleteTask(id: $id, expectedVersion: $expectedVersion) }`;

export const ADD_MEMBER = `mutation AddMember($boardId: ID!, $email: String!, $role: BoardRole!) {
  addBoardMember(boardId: $boardId, email: $email, role: $role) { ${MEMBER_FIELDS} } }`;
export const REMOVE_MEMBER = `mutation RemoveMember($boardId: ID!, $userId: ID!) { removeBoardMember(boardId: $boardId, userId: $userId) }`;

const ACTIVITY_FIELDS = `pageInfo { hasNextPage endCursor } edges { node { id kind taskId actorEmail message changes at } }`;
export const BOARD_ACTIVITY = `query BoardActivity($id: ID!, $after: String) {
  board(id: $id) { activity(first: 30, after: $after) { ${ACTIVITY_FIELDS} } } }`;
export const TASK_ACTIVITY = `query TaskActivity($id: ID!, $after: String) {
  task(id: $id) { id title activity(first: 30, after: $after) { ${ACTIVITY_FIELDS} } } }`;

// The account documents (settings, passwords, invitations, roles) are in accountqueries.ts.

export const BOARD_EVENTS = `subscription BoardEvents($boardId: ID!, $afterSeq: Int) {
  boardEvents(boardId: $boardId, afterSeq: $afterSeq) {
    kind seq boardId taskId actorEmail at
    task { ${TASK_FIELDS} }
    member { ${MEMBER_FIELDS} }
    commentId comment { ${COMMENT_FIELDS} }
    labelId label { ${LABEL_FIELDS} }
    boardName
  }
}`;

export const MOVE_TASK = `mutation MoveTask($id: ID!, $input: MoveTaskInput!) { moveTask(id: $id, input: $input) { ${TASK_FIELDS} } }`;

export const RENAME_BOARD = `mutation RenameBoard($id: ID!, $name: String!) { renameBoard(id: $id, name: $name) { id name } }`;
export const DELETE_BOARD = `mutation DeleteBoard($id: ID!) { deleteBoard(id: $id) }`;

export const CREATE_LABEL = `mutation CreateLabel($boardId: ID!, $name: String!, $color: String!) {
  createLabel(boardId: $boardId, name: $name, color: $color) { ${LABEL_FIELDS} } }`;
export const UPDATE_LABEL = `mutation UpdateLabel($id: ID!, $name: String, $color: String) {
  updateLabel(id: $id, name: $name, color: $color) { ${LABEL_FIELDS} } }`;
export const DELETE_LABEL = `mutation DeleteLabel($id: ID!) { deleteLabel(id: $id) }`;

export const TASK_COMMENTS = `query TaskComments($id: ID!, $after: String) {
  task(id: $id) { id comments(first: 20, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${COMMENT_FIELDS} } } } } }`;
export const ADD_COMMENT = `mutation AddComment($taskId: ID!, $body: String!) { addComment(taskId: $taskId, body: $body) { ${COMMENT_FIELDS} } }`;
export const UPDATE_COMMENT = `mutation UpdateComment($id: ID!, $body: String!) { updateComment(id: $id, body: $body) { ${COMMENT_FIELDS} } }`;
export const DELETE_COMMENT = `mutation DeleteComment($id: ID!) { deleteComment(id: $id) }`;
