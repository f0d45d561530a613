/** The breadcrumb of a page below a device: Dashboard / device / the page itself. */
import { Link, paths } from '../lib/router.js';

export function DeviceCrumbs({ device, current }: { device: string; current: string }) {
  return (
    <nav aria-label="Breadcrumb" className="crumbs">
      <Link href={paths.dashboard()}>Dashboard</Link> / <Link href={paths.device(device)}>{device}</Link> / <span aria-current="page">{current}</span>
    </nav>
  );
}
