/**
 * The validator the write-back tests use: the real tool on the host only
 * (no local parser fallback). Kept free of vitest so worker processes can
 * import it.
 */
import { validateOnDevice } from '../../src/validate/remote-validation.js';
import type { WritebackDeps } from '../../src/writeback/writeback-deps.js';

/** Real remote validation only (no local parser fallback): `unavailable` when the tool is missing. */
export const remoteOnlyValidate: WritebackDeps['validate'] = async (transport, request) =>
  (await validateOnDevice(transport, request)) ?? { status: 'unavailable', tool: 'none', output: 'no remote validator', durationMs: 0 };

