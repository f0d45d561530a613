import { splitQuotedWords } from './quoted-words.js';

/** Unit dependency settings whose values name other units. */
export const DEPENDENCY_KEYS = [
  'Requires',
  'Wants',
  'BindsTo',
  'PartOf',
  'Requisite',
  'After',
  'Before',
  'Conflicts',
  'WantedBy',
  'RequiredBy',
] as const;

export type DependencyKey = (typeof DEPENDENCY_KEYS)[number];

/** Section → key → values after every assignment (and reset) was applied. */
export type UnitSections = Record<string, Record<string, string[]>>;

/** Facts about a unit that the semantic diff and dependency graph use. */
export interface UnitFacts {
  /** Units named by each dependency setting ([Unit] and [Install]). */
  readonly dependencies: Record<DependencyKey, string[]>;
  /** Every `ExecStart=` command line, in order. */
  readonly execStart: string[];
  /** `User=`, the last one set; null when unset. */
  readonly user: string | null;
  /** `Group=`, the last one set; null when unset. */
  readonly group: string | null;
  /** `EnvironmentFile=` paths, a leading `-` (optional file) kept. */
  readonly environmentFiles: string[];
  /** Variables set by `Environment=`. */
  readonly environment: Record<string, string>;
}

const DEPENDENCY_SECTION: Record<DependencyKey, string> = {
  Requires: 'Unit',
  Wants: 'Unit',
  BindsTo: 'Unit',
  PartOf: 'Unit',
  Requisite: 'Unit',
  After: 'Unit',
  Before: 'Unit',
  Conflicts: 'Unit',
  WantedBy: 'Install',
  RequiredBy: 'Install',
};

/** Derives dependencies, commands, user and environment from merged sections. */
export function deriveUnitFacts(sections: UnitSections): UnitFacts {
  const get = (section: string, key: string): string[] => sections[section]?.[key] ?? [];
  const dependencies = Object.fromEntries(
    DEPENDENCY_KEYS.map((key) => [key, get(DEPENDENCY_SECTION[key], key).flatMap((v) => v.split(/\s+/).filter(Boolean))]),
  ) as Record<DependencyKey, string[]>;
  const environment: Record<string, string> = Object.create(null);
  for (const value of get('Service', 'Environment')) {
    for (const word of splitQuotedWords(value)) {
      const eq = word.indexOf('=');
      if (eq > 0) environment[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return {
    dependencies,
    execStart: get('Service', 'ExecStart'),
    user: get('Service', 'User').at(-1) ?? null,
    group: get('Service', 'Group').at(-1) ?? null,
    environmentFiles: get('Service', 'EnvironmentFile'),
    environment,
  };
}
