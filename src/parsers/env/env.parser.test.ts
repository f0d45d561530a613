import { describe, expect, it } from 'vitest';
import { parseFile } from '../registry.js';
import { envParser, envValues } from './env.parser.js';

describe('env parser', () => {
  const text = ['# stack', 'export TZ=Europe/Paris', 'DB_PASSWORD="s3cr3t"', `URL=http://$\{HOST}:$PORT/x`, 'EMPTY=', ''].join('\n');

  it('keeps names, lines and references, never values', () => {
    const result = envParser.parse(Buffer.from(text));
    expect(result.errors).toEqual([]);
    expect(result.data).toEqual({
      kind: 'env',
      variables: {
        TZ: { line: 2, empty: false, references: [] },
        DB_PASSWORD: { line: 3, empty: false, references: [] },
        URL: { line: 4, empty: false, references: ['HOST', 'PORT'] },
        EMPTY: { line: 5, empty: true, references: [] },
      },
    });
    expect(JSON.stringify(result.data)).not.toContain('s3cr3t');
    expect(JSON.stringify(result.data)).not.toContain('Paris');
  });

  it('reports a line that is no assignment, and is the registry parser of type env', () => {
    const result = parseFile('env', Buffer.from('A=1\nnot an assignment\n'));
    expect(result.errors).toEqual([{ message: expect.stringContaining('Expected KEY=value'), line: 2 }]);
    expect(result.data).toMatchObject({ kind: 'env', variables: { A: { line: 1 } } });
  });

  it('gives the values for comparing two versions, quoting undone', () => {
    expect(envValues('A="x y"\nB=\'z\'\n')).toEqual({ A: 'x y', B: 'z' });
  });
});
