/**
 * `jwtguard users add|remove|list|passwd|roles|disable|enable`: the users the reference server authenticates, in
 * the same store (`DATA_DIR/jwtguard.db`, or PostgreSQL when `DATABASE_URL` is set).
 *
 * @module
 * @internal
 */
import type { UserRecord, UserStore } from '../users/types.js'
import {
  CliError,
  type Command,
  type CommandInput,
  type CommandResult,
  integerOption,
  listOption,
  stringOption,
  UsageError,
} from './internal/command.js'
import { type Environment, openUserStore, readEnvironment, requireUserStore } from './internal/environment.js'
import { readNewPassword } from './internal/input.js'
import { endUserSessions } from './internal/sessions.js'

const STORE_DETAILS =
  'Users live where the server keeps them: PostgreSQL when DATABASE_URL is set, else DATA_DIR/jwtguard.db (DATA_DIR defaults to ./data).'

const PASSWORD_STDIN = {
  type: 'boolean',
  description: 'read the password from stdin (one line) instead of prompting; never pass it as an argument',
} as const

interface PublicUser {
  id: number
  username: string
  roles: string[]
  disabled: boolean
}

function publicUser(user: UserRecord): PublicUser {
  return { id: user.id, username: user.username, roles: user.roles, disabled: user.disabled === true }
}

function rolesText(roles: readonly string[]): string {
  return roles.length === 0 ? '(none)' : roles.join(', ')
}

/** Role names: no commas or whitespace, from comma-separated or repeated options; `""` is none. */
function parseRoles(values: readonly string[], option: string): string[] {
  const roles = values.flatMap((value) => value.split(',')).map((role) => role.trim())
  if (roles.length === 1 && roles[0] === '') return []
  if (roles.some((role) => role === '' || /\s/.test(role))) {
    throw new UsageError(`${option} takes role names without spaces, separated by commas (e.g. admin,editor)`)
  }
  return [...new Set(roles)]
}

/**
 * Runs `work` on the user store. Its password changes, role removals, disabling and removals end
 * the user's sessions in the server's token store (issue 15: a change reaches every live token).
 */
async function withStore<T>(
  environment: Environment,
  mode: 'create' | 'existing',
  work: (store: UserStore, location: string) => Promise<T>,
): Promise<T> {
  const opened =
    mode === 'create' ? await openUserStore(environment, 'create') : await requireUserStore(environment)
  if (opened === undefined) throw new CliError('cannot open the user store')
  const { endingSessions } = await import('../users/sessions.js')
  const store = endingSessions(opened.store, { endSessions: (id) => endUserSessions(environment, id) })
  try {
    return await work(store, opened.location)
  } finally {
    await opened.store.close()
  }
}

async function hashPassword(input: CommandInput): Promise<string> {
  const password = await readNewPassword(input.io, input.values['password-stdin'] === true)
  const { createPasswordHasher, MAX_PASSWORD_LENGTH } = await import('../users/index.js')
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new CliError(`the password is longer than ${MAX_PASSWORD_LENGTH} characters: choose a shorter one`)
  }
  return createPasswordHasher().hash(password)
}

function username(input: CommandInput): string {
  const name = input.positionals[0] ?? ''
  if (name.trim() === '' || name !== name.trim()) {
    throw new UsageError('the username must be non-empty, without leading or trailing spaces')
  }
  return name
}

function missingUser(name: string): CliError {
  return new CliError(`no user "${name}": check the name with \`jwtguard users list\``)
}

const add: Command = {
  name: 'users add',
  args: '<username>',
  summary: 'Create a user, with an argon2id hash of a password read from a prompt or stdin.',
  details: STORE_DETAILS,
  positionals: [1, 1],
  options: {
    id: {
      type: 'string',
      value: 'N',
      description: 'the numeric id (the token identity); default: the next free id',
    },
    roles: { type: 'string', value: 'A,B', description: 'comma-separated roles' },
    'password-stdin': PASSWORD_STDIN,
  },
  async run(input): Promise<CommandResult> {
    const name = username(input)
    const id = stringOption(input, 'id') === undefined ? undefined : integerOption(input, 'id', 0, 1)
    const roles = parseRoles(listOption(input, 'roles'), '--roles')
    const environment = readEnvironment(input.io.env)
    const passwordHash = await hashPassword(input)
    return withStore(environment, 'create', async (store, location) => {
      let user: UserRecord
      try {
        user = await store.create({ id, username: name, passwordHash, roles })
      } catch (error) {
        if (error instanceof TypeError && /already exists/.test(error.message)) {
          throw new CliError(
            `a user "${name}"${id === undefined ? '' : ` or id ${id}`} already exists in ${location}: choose another, or change its password with \`jwtguard users passwd ${name}\``,
          )
        }
        throw error
      }
      return {
        data: publicUser(user),
        text: `created user "${user.username}" (id ${user.id}, roles ${rolesText(user.roles)}) in ${location}\n`,
      }
    })
  },
}

const remove: Command = {
  name: 'users remove',
  args: '<username>',
  summary: 'Delete a user and end its sessions: its tokens stop working at once.',
  details: STORE_DETAILS,
  positionals: [1, 1],
  options: {},
  async run(input) {
    const name = username(input)
    return withStore(readEnvironment(input.io.env), 'existing', async (store, location) => {
      if (!(await store.remove(name))) throw missingUser(name)
      return { data: { removed: name }, text: `removed user "${name}" from ${location}\n` }
    })
  },
}

const list: Command = {
  name: 'users list',
  summary: 'List users by id (never their password hashes).',
  details: STORE_DETAILS,
  options: {},
  async run(input) {
    return withStore(readEnvironment(input.io.env), 'existing', async (store, location) => {
      const users = (await store.list()).map(publicUser)
      if (users.length === 0) return { data: [], text: `no users in ${location}\n` }
      const idWidth = Math.max(2, ...users.map((user) => String(user.id).length))
      const nameWidth = Math.max(8, ...users.map((user) => user.username.length))
      const lines = [
        `${'ID'.padStart(idWidth)}  ${'USERNAME'.padEnd(nameWidth)}  ROLES`,
        ...users.map(
          (user) =>
            `${String(user.id).padStart(idWidth)}  ${user.username.padEnd(nameWidth)}  ${rolesText(user.roles)}${user.disabled ? '  (disabled)' : ''}`,
        ),
      ]
      return { data: users, text: `${lines.join('\n')}\n` }
    })
  },
}

const passwd: Command = {
  name: 'users passwd',
  args: '<username>',
  summary: "Replace a user's password (read from a prompt or stdin).",
  details: `${STORE_DETAILS}\nEnds the user's sessions: its refresh and access tokens are refused on every instance.`,
  positionals: [1, 1],
  options: { 'password-stdin': PASSWORD_STDIN },
  async run(input) {
    const name = username(input)
    const environment = readEnvironment(input.io.env)
    // Check the user exists before asking for a password.
    await withStore(environment, 'existing', async (store) => {
      if ((await store.findByUsername(name)) === null) throw missingUser(name)
    })
    const passwordHash = await hashPassword(input)
    return withStore(environment, 'existing', async (store) => {
      if (!(await store.setPasswordHash(name, passwordHash))) throw missingUser(name)
      return { data: { username: name, passwordChanged: true }, text: `changed the password of "${name}"\n` }
    })
  },
}

const roles: Command = {
  name: 'users roles',
  args: '<username>',
  summary: "Show a user's roles, or change them with --set, --add or --remove.",
  details: `${STORE_DETAILS}\nRemoving a role ends the user's sessions (its tokens are refused); granting one does not: the next refresh carries it.`,
  positionals: [1, 1],
  options: {
    set: { type: 'string', value: 'A,B', description: 'replace the roles ("" for none)' },
    add: { type: 'string', value: 'ROLE', multiple: true, description: 'add a role' },
    remove: { type: 'string', value: 'ROLE', multiple: true, description: 'remove a role' },
  },
  async run(input) {
    const name = username(input)
    const set = stringOption(input, 'set')
    const added = parseRoles(listOption(input, 'add'), '--add')
    const removed = parseRoles(listOption(input, 'remove'), '--remove')
    if (set !== undefined && (added.length > 0 || removed.length > 0)) {
      throw new UsageError('give either --set, or --add/--remove, not both')
    }
    return withStore(readEnvironment(input.io.env), 'existing', async (store) => {
      const user = await store.findByUsername(name)
      if (user === null) throw missingUser(name)
      let next = user.roles
      if (set !== undefined) next = parseRoles([set], '--set')
      else next = [...new Set([...user.roles, ...added])].filter((role) => !removed.includes(role))
      const changed = set !== undefined || added.length > 0 || removed.length > 0
      if (changed && !(await store.setRoles(name, next))) throw missingUser(name)
      return {
        data: { username: name, roles: next },
        text: `${name}: ${rolesText(next)}\n`,
      }
    })
  },
}

/** `users disable` and `users enable`: one flag, set or cleared. */
function disabling(disabled: boolean): Command {
  const verb = disabled ? 'disable' : 'enable'
  return {
    name: `users ${verb}`,
    args: '<username>',
    summary: disabled
      ? 'Disable a user: its login is refused (as a wrong password) and its sessions end at once.'
      : 'Enable a disabled user again: it can log in (its ended sessions stay ended).',
    details: disabled
      ? `${STORE_DETAILS}\nEnds the user's sessions: its refresh and access tokens are refused on every instance.`
      : STORE_DETAILS,
    positionals: [1, 1],
    options: {},
    async run(input) {
      const name = username(input)
      return withStore(readEnvironment(input.io.env), 'existing', async (store) => {
        if (!(await store.setDisabled(name, disabled))) throw missingUser(name)
        return { data: { username: name, disabled }, text: `${verb}d user "${name}"\n` }
      })
    },
  }
}

export const userCommands: readonly Command[] = [
  add,
  remove,
  list,
  passwd,
  roles,
  disabling(true),
  disabling(false),
]
