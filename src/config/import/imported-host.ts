/** A host read from an ssh config file or an Ansible inventory, before it becomes a device. */
export interface ImportedHost {
  /** Device name: the alias/inventory name made into a valid slug. */
  readonly name: string;
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly identityFile?: string;
  /** ProxyJump target (first hop), as named in the source file. */
  readonly jump?: string;
  readonly tags: readonly string[];
  /** 1-based line where the host is defined. */
  readonly line: number;
}

export interface ImportResult {
  readonly format: 'ssh-config' | 'ansible-ini' | 'ansible-yaml';
  readonly hosts: ImportedHost[];
  /** Things that were skipped on purpose (wildcard hosts, Match blocks…), with lines. */
  readonly warnings: string[];
}
