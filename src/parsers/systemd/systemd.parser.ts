import { decodeText } from '../generic/decode-text.js';
import { neverThrow } from '../generic/never-throw.js';
import type { ParseContext, ParseIssue, ParseResult, Parser } from '../parser.js';
import { dropInPaths } from './drop-ins.js';
import { deriveUnitFacts, type UnitFacts, type UnitSections } from './unit-derive.js';
import { parseUnitSyntax, type UnitAssignment } from './unit-syntax.js';

/** A parsed systemd unit (or drop-in), with its drop-ins applied. */
export interface SystemdUnitData extends UnitFacts {
  readonly kind: 'systemd-unit';
  /** File name of the unit, e.g. `nginx.service`; null when the path is unknown. */
  readonly name: string | null;
  /** The unit type from the suffix (`service`, `timer`, …); null when unknown. */
  readonly unitType: string | null;
  /** Section → key → values; repeated keys are lists, an empty assignment empties the list. */
  readonly sections: UnitSections;
  /** Drop-in files merged over the unit, in the order applied. */
  readonly dropIns: string[];
}

/** Applies assignments in order: each appends, an empty value resets the list. */
export function applyAssignments(assignments: readonly UnitAssignment[], sections: UnitSections = Object.create(null)): UnitSections {
  for (const { section, key, value } of assignments) {
    sections[section] ??= Object.create(null);
    const keys = sections[section]!;
    if (value === '') keys[key] = [];
    else {
      keys[key] ??= [];
      keys[key].push(value);
    }
  }
  return sections;
}

function readDropIns(path: string | undefined, context: ParseContext) {
  const assignments: UnitAssignment[] = [];
  const errors: ParseIssue[] = [];
  const warnings: ParseIssue[] = [];
  const applied: string[] = [];
  for (const file of path ? dropInPaths(path, context) : []) {
    const bytes = context.readFile?.(file);
    if (!bytes) {
      warnings.push({ message: 'Drop-in listed but its content is not available', file });
      continue;
    }
    const decoded = decodeText(bytes);
    const syntax = parseUnitSyntax(decoded.text, file);
    assignments.push(...syntax.assignments);
    errors.push(...syntax.errors);
    warnings.push(...decoded.warnings.map((w) => ({ ...w, file })));
    applied.push(file);
  }
  return { assignments, errors, warnings, applied };
}

/** See `Parser.version`. */
export const SYSTEMD_PARSER_VERSION = 1;

/** systemd unit files per systemd.syntax(7) and systemd.unit(5). */
export const systemdParser: Parser<SystemdUnitData> = {
  type: 'systemd',
  version: SYSTEMD_PARSER_VERSION,
  parse(bytes, context = {}): ParseResult<SystemdUnitData> {
    return neverThrow<SystemdUnitData>(() => {
      const decoded = decodeText(bytes);
      const unit = parseUnitSyntax(decoded.text);
      const dropIns = readDropIns(context.path, context);
      const declared: UnitSections = Object.create(null);
      for (const section of unit.sections) declared[section] = Object.create(null);
      const sections = applyAssignments([...unit.assignments, ...dropIns.assignments], declared);
      const name = context.path ? context.path.slice(context.path.lastIndexOf('/') + 1) : null;
      const suffix = name?.match(/\.([a-z]+)$/)?.[1];
      const data: SystemdUnitData = {
        kind: 'systemd-unit',
        name,
        unitType: suffix && suffix !== 'conf' ? suffix : null,
        sections,
        dropIns: dropIns.applied,
        ...deriveUnitFacts(sections),
      };
      return { data, errors: [...unit.errors, ...dropIns.errors], warnings: [...decoded.warnings, ...dropIns.warnings] };
    });
  },
};
