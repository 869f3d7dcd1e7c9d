import { type ScryptOptions, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";

/** A demo user, as the routes and the page show it. */
export interface User {
  id: string;
  name: string;
}

interface Account extends User {
  username: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  passwordHash: string;
}

/**
 * The built-in accounts: `alice` / `wonderland` and `bob` / `builder`. Only scrypt hashes of
 * the passwords are kept, each with its own random salt, the way a real user table would.
 */
const ACCOUNTS: readonly Account[] = [
  {
    id: "alice",
    username: "alice",
    name: "Alice",
    passwordHash:
      "scrypt$16384$8$1$5CY3sVCB1xXAj_5Ue5JXTw$AaPE-f4SuuDAGLMrA1OnwAITnFtZ6hJfR1BmBuL2oLw",
  },
  {
    id: "bob",
    username: "bob",
    name: "Bob",
    passwordHash:
      "scrypt$16384$8$1$NlysyRyoO8JopnDwKRedfQ$qnQKQu2Nxy26IR7n-Seu07MM8N8jiN6tIcAptcgesgQ",
  },
];

/**
 * Checked against unknown usernames, so that "no such user" takes as long as "wrong password"
 * and response times do not reveal which usernames exist.
 */
const DECOY_HASH =
  "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** Longest password considered; longer ones are refused before hashing. */
const MAX_PASSWORD_LENGTH = 1024;

/**
 * Checks a username and password. Resolves the user, or `null` for any mismatch. Every
 * attempt runs scrypt once and compares in constant time.
 *
 * @example
 * ```ts
 * const user = await verifyCredentials("alice", "wonderland"); // { id: "alice", name: "Alice" }
 * ```
 */
export async function verifyCredentials(username: string, password: string): Promise<User | null> {
  const account = ACCOUNTS.find((candidate) => candidate.username === username.toLowerCase());
  const matches = await verifyPassword(
    password.slice(0, MAX_PASSWORD_LENGTH),
    account?.passwordHash ?? DECOY_HASH,
  );
  return account !== undefined && matches && password.length <= MAX_PASSWORD_LENGTH
    ? { id: account.id, name: account.name }
    : null;
}

/** The user with this id, or `null` (for example a user deleted while signed in). */
export function findUser(id: string): User | null {
  const account = ACCOUNTS.find((candidate) => candidate.id === id);
  return account === undefined ? null : { id: account.id, name: account.name };
}

async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64url");
  const options = { N: Number(n), r: Number(r), p: Number(p) };
  const actual = await scrypt(password, Buffer.from(salt, "base64url"), expected.length, options);
  return timingSafeEqual(actual, expected);
}

function scrypt(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, length, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}
