/**
 * How derived nodes are named: compose services are qualified by their
 * project, as `docker compose` qualifies them. The graph's vocabulary itself
 * lives in store/graph-model.ts, where the repository can reach it.
 */
import { nodeId } from '../store/graph-model.js';

/** The compose project of a file: its directory's name, as `docker compose` defaults it. */
export function composeProject(path: string): string {
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), 0));
  return dir.slice(dir.lastIndexOf('/') + 1) || 'default';
}

/** Node id of a compose service: project-qualified, so two stacks' `db` stay apart. */
export const composeServiceId = (composePath: string, service: string): string => nodeId('compose-service', `${composeProject(composePath)}/${service}`);
