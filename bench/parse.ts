/** `parse`: throughput of every parser over its corpus (nginx, compose, systemd, sshd). */
export async function run(): Promise<object> {
  const nginx = (await import('./parse-nginx.js')) as { run: () => Promise<object> };
  const others = (await import('./parse-others.js')) as { run: () => Promise<object> };
  return { nginx: await nginx.run(), ...(await others.run()) };
}
