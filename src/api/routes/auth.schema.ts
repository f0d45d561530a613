import { z } from 'zod';
import { ROLES, SCOPES } from '../../auth/scopes.js';

export const loginBody = z.object({ user: z.string().min(1).max(63), password: z.string().min(1).max(1024) });

export const whoAmI = z.object({
  user: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.enum(SCOPES)),
  via: z.enum(['token', 'session']),
});

export const loginResponse = whoAmI.extend({
  /** Echo this in `x-csrf-token` on every mutation made with the session cookie. */
  csrf: z.string(),
  expiresAt: z.string(),
});
