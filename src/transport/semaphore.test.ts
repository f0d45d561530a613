import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('never lets more than limit tasks run at once', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 12 }, () => sem.use(task)));
    expect(peak).toBe(3);
    expect(sem.held).toBe(0);
  });

  it('releases a slot once even when release is called twice', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    release();
    release();
    expect(sem.held).toBe(0);
  });
});
