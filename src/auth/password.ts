/**
 * Password hashing with argon2id (@node-rs/argon2, its defaults: 19 MiB,
 * 2 passes, 1 lane). Hashes are self-describing PHC strings, so parameters
 * can be raised later without invalidating stored hashes.
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** Hashes a password with argon2id. */
export const hashPassword = (password: string): Promise<string> => hash(password, { algorithm: Algorithm.Argon2id });

/** True when the password matches the stored hash; false for a malformed hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
