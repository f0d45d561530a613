/**
 * Chooses the importer for a file: YAML inventories by extension or a
 * leading `---`/`all:`; INI inventories by `[group]` headers; everything else
 * is read as an ssh config.
 */
import { parseAnsibleIni, parseAnsibleYaml } from './ansible-inventory.js';
import type { ImportResult } from './imported-host.js';
import { parseSshConfig } from './ssh-config.js';

export function parseImportFile(text: string, fileName: string): ImportResult {
  if (/\.ya?ml$/i.test(fileName) || /^\s*(---|[\w.-]+:\s*$)/m.test(firstContentLine(text))) {
    return parseAnsibleYaml(text, fileName);
  }
  if (/^\s*\[[^\]]+\]\s*$/m.test(text) || /\bansible_\w+=/.test(text)) return parseAnsibleIni(text, fileName);
  return parseSshConfig(text, fileName);
}

function firstContentLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
}
