import { describe, expect, it } from 'vitest';
import { SCOPES, roleHasScope, scopesOf } from './scopes.js';

describe('roles', () => {
  it('bundle scopes cumulatively: viewer ⊂ operator ⊂ approver ⊂ admin', () => {
    expect([...scopesOf('viewer')]).toEqual(['config:view']);
    expect([...scopesOf('operator')]).toEqual(['config:view', 'config:edit', 'config:restore']);
    expect([...scopesOf('approver')]).toEqual(['config:view', 'config:edit', 'config:restore', 'config:approve']);
    expect([...scopesOf('admin')]).toEqual([...SCOPES]);
  });

  it('keep management and secrets to admins', () => {
    for (const scope of ['devices:manage', 'users:manage', 'secrets:view', 'alerts:manage'] as const) {
      expect(roleHasScope('approver', scope)).toBe(false);
      expect(roleHasScope('admin', scope)).toBe(true);
    }
  });
});
